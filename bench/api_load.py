"""Load on `hoidap serve` over real HTTP with keep-alive: asks per second, latency, memory.

Starts `hoidap serve` on the corpus (its settings as shipped, except a rate limit high
enough for one client to send everything), then sends `GET /v1/ask?q=…` with real
questions (the seed questions, then ViNewsQA dev; bench.common.questions) over a pool of
persistent connections:

- `--rate R`: open loop, request i is due at start + i/R whatever the answers before it
  did; latency runs from when it was due (so a stalled server is not hidden by the client
  waiting politely: no coordinated omission). `--rate 0`: closed loop, every connection
  sends its next request as soon as the last answer arrives (the most the server gives).
- Every `--sample` seconds: the server's RSS and private memory (/proc/PID/smaps_rollup),
  its CPU time, and the machine's load average (2 cores shared with other work: say so).

    .venv/bin/python -m bench.api_load --corpus bench/data/p100k --index bench/data/idx-100k \
        --rate 300 --seconds 60 --out bench/out/api_load_300.json
"""

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import numpy as np

from bench import common

HOIDAP = Path(sys.executable).with_name("hoidap")


def _process(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return {
        "rss_mb": fields["Rss"],
        "private_mb": fields["Private_Clean"] + fields["Private_Dirty"],
        "cpu_s": (int(stat[11]) + int(stat[12])) / ticks,
    }


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            pass
    return sorted(found)


def memory(pid: int) -> dict[str, object]:
    """The server and its worker processes: each one's RSS and private memory (the index's
    mapped pages are shared between them), and their CPU time together."""
    processes = {p: _process(p) for p in [pid, *_children(pid)]}
    return {
        "rss_mb": [round(m["rss_mb"], 1) for m in processes.values()],
        "private_mb": [round(m["private_mb"], 1) for m in processes.values()],
        "private_total_mb": round(sum(m["private_mb"] for m in processes.values()), 1),
        "cpu_s": round(sum(m["cpu_s"] for m in processes.values()), 2),
    }


def start_server(
    corpus: Path, index: Path, log: Path, workers: int, settings: list[str]
) -> tuple[subprocess.Popen[bytes], int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOIDAP_", "TELEGRAM_"))}
    env["HOIDAP_API_REQUESTS_PER_WINDOW"] = str(10**9)
    env["HOIDAP_API_WORKERS"] = str(workers)
    env |= dict(setting.split("=", 1) for setting in settings)
    process = subprocess.Popen(
        [
            str(HOIDAP),
            "serve",
            "--corpus",
            str(corpus.resolve()),
            "--index",
            str(index.resolve()),
            "--port",
            "0",
        ],
        env=env,
        stderr=open(log, "wb"),  # noqa: SIM115
        cwd="/tmp",
    )
    deadline = time.time() + 300
    while time.time() < deadline:
        match = re.search(r"API and page on http://127\.0\.0\.1:(\d+)/", log.read_text())
        if match:
            return process, int(match[1])
        if process.poll() is not None:
            raise SystemExit(f"hoidap serve exited: {log.read_text()}")
        time.sleep(0.2)
    process.kill()  # never left running: it would load the machine of the next benchmark
    raise SystemExit("hoidap serve did not report its address (is HOIDAP_LOG_LEVEL above INFO?)")


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader
        self.writer: asyncio.StreamWriter

    async def open(self) -> "Connection":
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self

    async def get(self, target: str) -> int:
        self.writer.write(f"GET {target} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head)[1])  # type: ignore[index]
        await self.reader.readexactly(length)
        return int(head.split(b" ", 2)[1])


async def load(port: int, args: argparse.Namespace, targets: list[str]) -> dict[str, object]:
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(args.connections):
        pool.put_nowait(await Connection(port).open())
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    samples: list[dict[str, float]] = []
    start = time.perf_counter()
    end = start + args.seconds

    async def one(i: int, due: float) -> None:
        connection = await pool.get()
        try:
            status = await connection.get(targets[i % len(targets)])
        finally:
            pool.put_nowait(connection)
        statuses[status] = statuses.get(status, 0) + 1
        latencies.append(time.perf_counter() - due)

    async def sampler() -> None:
        while time.perf_counter() < end:
            sample = memory(args.pid) | {"t": round(time.perf_counter() - start, 1)}
            samples.append(sample | {"load1": os.getloadavg()[0]})
            await asyncio.sleep(args.sample)

    sampling = asyncio.create_task(sampler())
    sent = 0
    if args.rate > 0:
        tasks = set()
        while (due := start + sent / args.rate) < end:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(sent, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
        await asyncio.gather(*tasks)
    else:

        async def worker(offset: int) -> None:
            nonlocal sent
            while time.perf_counter() < end:
                i = sent
                sent += 1
                await one(i, time.perf_counter())

        await asyncio.gather(*(worker(i) for i in range(args.connections)))
    took = time.perf_counter() - start
    await sampling
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "seconds": round(took, 2),
        "asks_per_second": round(len(latencies) / took, 1),
        "statuses": statuses,
        "latency_ms": {f"p{q}": round(float(np.percentile(ms, q)), 2) for q in (50, 90, 99, 99.9)}
        | {"max": round(float(ms.max()), 2)},
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--rate", type=float, default=300, help="asks/s; 0 = closed loop")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10, help="seconds before measuring")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="HOIDAP_API_WORKERS")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="HOIDAP_X=VALUE",
        help="a setting of the server other than its shipped default (repeatable)",
    )
    parser.add_argument("--sample", type=float, default=10, help="seconds between samples")
    parser.add_argument("--out", type=Path, default=Path("bench/out/api_load.json"))
    parser.add_argument(
        "--vinewsqa",
        type=Path,
        default=common.VINEWSQA,
        help="the ViNewsQA dev file, read in place",
    )
    args = parser.parse_args()
    common.VINEWSQA = args.vinewsqa
    targets = ["/v1/ask?q=" + quote(q) for q in common.questions()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    log = args.out.with_suffix(".server.log")
    process, port = start_server(args.corpus, args.index, log, args.workers, args.set)
    args.pid = process.pid
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5):
                    break
            except OSError:
                time.sleep(0.1)
        time.sleep(1)  # every worker forked and listening
        after_start = memory(process.pid)
        if args.warmup:
            warm = argparse.Namespace(**(vars(args) | {"seconds": args.warmup, "rate": 0}))
            asyncio.run(load(port, warm, targets))
        load1_before = os.getloadavg()
        result = asyncio.run(load(port, args, targets))
        server = memory(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    report = {
        "rate": args.rate,
        "workers": args.workers,
        "connections": args.connections,
        "warmup_s": args.warmup,
        "settings": args.set,
        "nproc": os.cpu_count(),
        "loadavg_before": load1_before,
        "loadavg_after": os.getloadavg(),
        "server_after_start": after_start,
        "server_at_end": server,
        "server_cpu_share": round(
            (server["cpu_s"] - result["samples"][0]["cpu_s"]) / result["seconds"], 2
        ),
        "client_cpu_s": round(time.process_time(), 1),
    } | result
    args.out.write_text(json.dumps(report, indent=1))
    summary = {k: v for k, v in report.items() if k != "samples"}
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
