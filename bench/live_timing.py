"""What bench/live.py measures questions with: an asker at a fixed rate, the intervals in
which the index was being changed (updates, merges, swaps), and latency summaries of the
questions inside and outside them."""

import json
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from retrieval.engine import Engine


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Asker(threading.Thread):
    """Asks `texts` in turn, one every 1 / `rate` seconds (as a bot's users would, rather
    than as fast as it can answer), and keeps (start, seconds, text number) of each; a
    question due while the one before runs starts when it ends."""

    def __init__(self, engine: Engine, texts: list[str], rate: float) -> None:
        super().__init__(daemon=True)
        self.engine, self.texts, self.period = engine, texts, 1.0 / rate
        self.times: list[tuple[float, float, int]] = []
        self.errors = 0
        self.stop = threading.Event()

    def run(self) -> None:
        due = time.perf_counter()
        i = 0
        while not self.stop.wait(max(0.0, due - time.perf_counter())):
            number = i % len(self.texts)
            start = time.perf_counter()
            try:
                self.engine.ask(self.texts[number])
            except Exception:
                self.errors += 1
            self.times.append((start, time.perf_counter() - start, number))
            due += self.period
            i += 1

    def finish(self) -> None:
        self.stop.set()
        self.join()


class Intervals:
    """Time intervals (perf_counter) in which something ran, recorded from any thread."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    @contextmanager
    def timing(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.spans.append((start, time.perf_counter()))

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.timing():
                return function(*args, **kwargs)

        return timed

    def overlaps(self, start: float, seconds: float) -> bool:
        return any(lo < start + seconds and start < hi for lo, hi in self.spans)

    def seconds(self) -> list[float]:
        return [hi - lo for lo, hi in self.spans]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 0.5) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def compare(times: list[tuple[float, float, int]], busy: Intervals, name: str) -> dict[str, Any]:
    """Questions overlapping `busy` against the others, and how much longer each busy one
    took than the median of the same question's quiet times."""
    quiet: dict[int, list[float]] = {}
    for start, seconds, number in times:
        if not busy.overlaps(start, seconds):
            quiet.setdefault(number, []).append(seconds)
    during = [(s, n) for t, s, n in times if busy.overlaps(t, s)]
    extra = [s - statistics.median(quiet[n]) for s, n in during if n in quiet]
    return {
        "quiet": summary([s for values in quiet.values() for s in values]),
        f"during_{name}": summary([s for s, _ in during]),
        f"{name}_extra_ms_p50_p99_max": [
            round(percentile(extra, q) * 1000, 1) for q in (0.5, 0.99, 1.0)
        ]
        if extra
        else [],
        f"{name}_extra_over_100_ms": sum(e > 0.1 for e in extra),
        f"{name}_seconds": [round(s, 3) for s in busy.seconds()],
    }
