"""`hoidap serve` as an administrator runs it: a subprocess, real HTTP, SIGTERM to stop."""

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bot.cli import main

pytest_plugins = ["bot_fixtures"]

QUESTION = "Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV tại Bộ Ngoại giao?"
HOIDAP = Path(sys.executable).with_name("hoidap")
LISTENING = re.compile(r"API and page on http://127\.0\.0\.1:(\d+)/")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "HOIDAP_"))}
    return env | extra


def wait_for_port(process: subprocess.Popen[str]) -> tuple[int, list[str]]:
    """The port `hoidap serve` reports once it listens, and the lines it wrote until then."""
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if match := LISTENING.search(line):
            return int(match[1]), lines
    raise AssertionError("hoidap serve exited: " + "".join(lines))


@contextmanager
def hoidap_serve(
    tmp_path: Path, *args: str, **env: str
) -> Iterator[tuple[httpx.Client, list[str]]]:
    """`hoidap serve` on a free port; stopped with SIGTERM, which must exit with 0."""
    process = subprocess.Popen(
        [str(HOIDAP), "serve", "--port", "0", *args],
        cwd=tmp_path,
        env=clean_env(**env),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port, lines = wait_for_port(process)
        # Keep reading, or a chatty process would block on a full pipe.
        drain = threading.Thread(target=lines.extend, args=(process.stderr,), daemon=True)
        drain.start()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            client.process = process  # type: ignore[attr-defined]
            yield client, lines
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    drain.join(5)
    assert process.returncode == 0, "".join(lines)
    assert "Traceback" not in "".join(lines)


def cli_json(*args: str) -> bytes:
    return subprocess.run(
        [str(HOIDAP), *args, "--json"], capture_output=True, check=True, env=clean_env()
    ).stdout.rstrip(b"\n")


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def test_serve_answers_with_the_same_json_as_the_command_line(tmp_path, engine, index_path):
    index = ["--index", str(index_path)]
    # Two worker processes forked over the loaded index, as a server with two cores runs.
    with hoidap_serve(tmp_path, *index, HOIDAP_API_WORKERS="2") as (client, log):
        workers = children_of(client.process.pid)  # type: ignore[attr-defined]
        asked = [client.get("/v1/ask", params={"q": QUESTION}) for _ in range(4)]
        posted = client.post("/v1/ask", json={"question": QUESTION})
        searched = client.get("/v1/search", params={"q": "Đại hội XIV", "k": 3})
    assert len(workers) == 2 and not any(Path(f"/proc/{pid}").exists() for pid in workers)
    assert {a.content for a in asked} == {posted.content} == {cli_json("ask", *index, QUESTION)}
    assert searched.content == cli_json("search", *index, "-k", "3", "Đại hội XIV")
    assert json.loads(posted.content)["answered"] is True
    assert QUESTION not in "".join(log)


def test_serve_refuses_a_public_address_without_keys_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith(("HOIDAP_", "TELEGRAM_"))]:
        monkeypatch.delenv(name)
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "HOIDAP_API_KEYS" in error
    monkeypatch.setenv("HOIDAP_API_KEYS", "abc")
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "16" in error and "abc" not in error.lower().split(":", 2)[2]


def test_serve_refuses_a_taken_port_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in error


async def test_serve_with_the_bot_answers_both_from_one_index(
    tmp_path, telegram, engine, index_path
):
    def api_and_bot() -> bytes:
        with hoidap_serve(
            tmp_path,
            "--bot",
            "--index",
            str(index_path),
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_BASE_URL=telegram.base_url,
            HOIDAP_HEALTH_PORT="0",
            HOIDAP_STATE_DIR=str(tmp_path / "state"),
        ) as (client, _):
            started = telegram.wait_for("setMyCommands", timeout=60)
            asyncio.run_coroutine_threadsafe(started, loop).result(90)
            loop.call_soon_threadsafe(lambda: telegram.message(QUESTION))
            answer = client.get("/v1/ask", params={"q": QUESTION}).content
            replies = asyncio.run_coroutine_threadsafe(telegram.wait_for(timeout=30), loop).result(
                60
            )
            assert "Lê Hoài Trung" in replies[0]["text"]
        return answer

    loop = asyncio.get_running_loop()
    answer = await asyncio.to_thread(api_and_bot)
    assert "Lê Hoài Trung" in json.loads(answer)["sentences"][0]["text"]
