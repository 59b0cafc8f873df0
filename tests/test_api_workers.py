"""What must hold across the worker processes of `hoidap serve` (HOIDAP_API_WORKERS > 1):
per-key rate limits and the metrics, whichever worker a connection reaches."""

import os
import re
from pathlib import Path

import httpx
from test_api_serve import QUESTION, children_of, hoidap_serve

from service.shared_limits import BUCKETS, SharedLimiter

pytest_plugins = ["bot_fixtures"]

KEY = "w" * 20 + "-workers-key"


def test_a_limit_holds_across_forked_processes():
    limiter = SharedLimiter(limit=50, window=60)
    children = []
    for _ in range(2):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # each process asks 40 times for the same key
            os.close(read)
            allowed = sum(limiter.check("the key") == 0 for _ in range(40))
            os.write(write, str(allowed).encode())
            os._exit(0)
        os.close(write)
        children.append((pid, read))
    allowed = []
    for pid, read in children:
        allowed.append(int(os.read(read, 16)))
        os.close(read)
        os.waitpid(pid, 0)
    assert sum(allowed) == 50
    assert limiter.check("another key") == 0


def test_a_refused_caller_waits_until_its_oldest_request_leaves_the_window():
    now = [1000.0]
    limiter = SharedLimiter(limit=3, window=60, clock=lambda: now[0])
    assert [limiter.check("k") for _ in range(3)] == [0, 0, 0]
    now[0] += 30
    wait = limiter.check("k")
    # At most one bucket (one second) past the window, never less than it.
    assert 30 <= wait <= 30 + 60 / BUCKETS
    assert limiter.check("other") == 0
    now[0] += wait  # the three requests have left the window together
    assert [limiter.check("k") for _ in range(3)] == [0, 0, 0]
    assert limiter.check("k") > 0


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert found, text
    return float(found[1])


def test_limits_and_metrics_hold_across_two_workers(tmp_path, index_path, engine):
    headers = {"Authorization": f"Bearer {KEY}"}
    env = {
        "HOIDAP_API_WORKERS": "2",
        "HOIDAP_API_KEYS": KEY,
        "HOIDAP_API_REQUESTS_PER_WINDOW": "5",
        "TMPDIR": str(tmp_path),  # where the metrics' folder is made
    }
    with hoidap_serve(tmp_path, "--index", str(index_path), **env) as (client, _):
        base = str(client.base_url)
        workers = children_of(client.process.pid)  # type: ignore[attr-defined]
        # A new connection each: the kernel spreads them over the workers.
        codes = [
            httpx.get(f"{base}/v1/ask", params={"q": QUESTION}, headers=headers).status_code
            for _ in range(12)
        ]
        (folder,) = tmp_path.glob("hoidap-metrics-*")
        files = {p.name for p in folder.iterdir()}
        scrapes = [httpx.get(f"{base}/metrics", headers=headers).text for _ in range(6)]
    assert sorted(codes) == [200] * 5 + [429] * 7
    # Both workers kept counts, and every scrape, whichever worker it reached, sums them.
    assert {f"counter_{pid}.db" for pid in workers} <= files
    for text in scrapes:
        assert metric(text, "hoidap_questions_total") == 5
        assert metric(text, 'hoidap_api_requests_total{route="/v1/ask",status="429"}') == 7
    assert not Path(folder).exists()  # removed when the server stopped
