"""Load on `hoidap bot` through the fake Bot API server (real HTTP on 127.0.0.1).

Starts the fake server in this process and `hoidap bot` as a subprocess over the bundled
seeds, offers questions at a steady rate from a pool of users, and measures at the fake
server what users would see: answers per second, and the time from an update being
available to getUpdates to the bot's answer reaching the server. The bot's resident
memory is sampled every few seconds. Its state folder is on disk, fsync included.

    python bench/bot_load.py --rate 30 --seconds 60
    python bench/bot_load.py --rate 20 --seconds 600 --json bench/data/bot_soak.json
    python bench/bot_load.py --rate 100 --seconds 30 --users 500 --backlog-bound 10

The machine is shared: the load average is printed with the figures.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict, deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_telegram import FakeTelegram  # noqa: E402

from bot.handlers import BUSY  # noqa: E402

HOIDAP = Path(sys.executable).with_name("hoidap")
QUESTIONS = ROOT / "tests" / "data" / "seed_questions.json"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Recorder(FakeTelegram):
    """The fake server, noting when each answer arrives (and forgetting the calls, so a long
    run does not grow this process)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: defaultdict[int, deque[float]] = defaultdict(deque)
        self.latencies: list[float] = []
        self.answered_at: list[float] = []
        self.other_calls = 0
        self.busy = 0

    async def handle(self, token, method, params):
        busy = method == "sendMessage" and params.get("text") == BUSY
        if method == "sendMessage" and ("reply_markup" in params or busy):
            # The last part of an answer carries its buttons; a "busy" reply has none.
            pushed = self.asked[int(params["chat_id"])]
            if pushed:
                now = time.monotonic()
                self.latencies.append(now - pushed.popleft())
                self.answered_at.append(now)
                self.busy += busy
        elif method != "getUpdates":
            self.other_calls += 1
        status, body = await super().handle(token, method, params)
        if method == "sendMessage":
            self.calls.clear()
        return status, body


async def offer(fake: Recorder, questions: list[str], rate: float, seconds: float, users: int):
    start = time.monotonic()
    for n in range(int(rate * seconds)):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        user = 100_000 + n % users
        fake.asked[user].append(time.monotonic())
        fake.message(questions[n % len(questions)], user_id=user)


async def run(args: argparse.Namespace) -> dict[str, object]:
    seeds = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    questions = [q["question"] for q in seeds["answerable"]] + list(seeds["unanswerable"])
    fake = Recorder()
    await fake.start()
    state = Path(tempfile.mkdtemp(prefix="hoidap-bot-load-", dir=args.state_parent))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "HOIDAP_"))}
    env |= {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_BASE_URL": fake.base_url,
        "HOIDAP_STATE_DIR": str(state),
        "HOIDAP_HEALTH_PORT": "0",
        "HOIDAP_LOG_LEVEL": "WARNING",
        # A pool of users asks in turn; each stays within the per-user question limit.
        "HOIDAP_QUESTIONS_PER_WINDOW": "100",
        "HOIDAP_BACKLOG_MAX_AGE_SECONDS": str(args.backlog_bound),
    }
    process = await asyncio.create_subprocess_exec(str(HOIDAP), "bot", env=env, cwd=state)
    memory: list[tuple[float, float]] = []
    try:
        await fake.wait_for("setMyCommands", timeout=120)
        began = time.monotonic()
        offering = asyncio.create_task(offer(fake, questions, args.rate, args.seconds, args.users))
        while not offering.done():
            memory.append((time.monotonic() - began, rss_mib(process.pid)))
            await asyncio.wait({offering}, timeout=args.sample)
        expected = int(args.rate * args.seconds)
        deadline = time.monotonic() + args.drain
        while len(fake.latencies) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        memory.append((time.monotonic() - began, rss_mib(process.pid)))
    finally:
        process.terminate()
        await process.wait()
        await fake.stop()
    # Sustained rate: answers in the offered period after the first tenth (warm-up).
    window = (began + 0.1 * args.seconds, began + args.seconds)
    inside = [t for t in fake.answered_at if window[0] <= t < window[1]]
    tenth = max(1, len(memory) // 10)
    return {
        "offered_per_second": args.rate,
        "seconds": args.seconds,
        "questions": expected,
        "answered": len(fake.latencies),
        "answers_per_second_sustained": round(len(inside) / (window[1] - window[0]), 2),
        "latency_p50_s": round(percentile(fake.latencies, 0.50), 3),
        "latency_p99_s": round(percentile(fake.latencies, 0.99), 3),
        "latency_max_s": round(max(fake.latencies, default=float("nan")), 3),
        "busy_replies": fake.busy,
        "other_calls": fake.other_calls,
        "rss_mib_first_tenth": round(statistics.mean(m for _, m in memory[:tenth]), 1),
        "rss_mib_last_tenth": round(statistics.mean(m for _, m in memory[-tenth:]), 1),
        "rss_mib_max": round(max(m for _, m in memory), 1),
        "memory_samples": memory if args.json else len(memory),
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=30, help="questions offered per second")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=2000, help="users asking in turn")
    parser.add_argument("--backlog-bound", type=float, default=60, help="seconds (bot setting)")
    parser.add_argument("--drain", type=float, default=60, help="seconds to wait for the rest")
    parser.add_argument("--sample", type=float, default=5, help="seconds between RSS samples")
    parser.add_argument("--state-parent", default=None, help="where the state folder is made")
    parser.add_argument("--json", type=Path, help="also write the figures (and RSS samples)")
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1))
    summary = {k: v for k, v in figures.items() if k != "memory_samples"}
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
