"""Measure the live index on a scale corpus (see bench/make_corpus.py): how soon a new
document is answerable, the bytes an update writes, search speed over unmerged segments,
and what merges and swaps cost the questions being answered meanwhile.

    .venv/bin/python -m bench.live --corpus bench/data/p100k --index bench/data/live-100k

The corpus folder is copied (hard links) so that documents can be added to it; the index
is built once (reused when current). Steps, each printed as one JSON object per line:

1. latency: a watcher serves an engine while a thread asks questions without pause;
   --documents new files are written one at a time, and the time from each file's close
   to the first answer citing it is taken (settle time of the watcher included).
2. bytes: the bytes of the files each of those updates added to the index folder, against
   the document's own size.
3. segments: search p50 over 10 unmerged recent segments against the same documents
   merged into one segment, the two engines' searches interleaved question by question
   (a ratio less sensitive to the machine's other load than two separate runs).
4. merge: question latencies while everything is merged into a new base in the background
   and swapped in, against latencies of the same questions with nothing running.
"""

import argparse
import json
import os
import shutil
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import questions
from retrieval.engine import Engine
from retrieval.index import IndexWriter, merging, open_index
from retrieval.watch import Watcher

MARKER = "Phóng viên {name} ghi nhận đàn sếu đầu đỏ số {n} bay về Tràm Chim lúc rạng sáng."


def _emit(record: dict[str, Any]) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _files(path: Path) -> dict[Path, int]:
    return {p: p.stat().st_size for p in path.rglob("*") if p.is_file()}


def _document(n: int) -> str:
    name = f"Trần Văn Sếu{n}"
    return f"Sếu đầu đỏ về Tràm Chim {n}\n\n{MARKER.format(name=name, n=n)}\n"


def _question(n: int) -> str:
    return f"Phóng viên nào ghi nhận đàn sếu đầu đỏ số {n} bay về Tràm Chim?"


class Asker(threading.Thread):
    """Asks questions without pause; keeps (start time, seconds) of each."""

    def __init__(self, engine: Engine, texts: list[str]) -> None:
        super().__init__(daemon=True)
        self.engine, self.texts = engine, texts
        self.times: list[tuple[float, float]] = []
        self.errors = 0
        self.stop = threading.Event()

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            text = self.texts[i % len(self.texts)]
            i += 1
            start = time.perf_counter()
            try:
                self.engine.ask(text)
            except Exception:
                self.errors += 1
            self.times.append((start, time.perf_counter() - start))


def latency_and_bytes(corpus: Path, index: Path, documents: int, texts: list[str]) -> None:
    engine = Engine.open(corpus, index, notice=lambda _: None)
    folder = corpus.absolute() / "live-bench"
    folder.mkdir(exist_ok=True)
    asker = Asker(engine, texts)
    delays, written, sizes = [], [], []
    with Watcher(engine, corpus, index, notice=lambda _: None) as watcher:
        watcher.wait_for(1, 600)
        asker.start()
        for n in range(documents):
            before = _files(index)
            generation = watcher.generation
            file = folder / f"sue-{n:03d}.txt"
            text = _document(n)
            file.write_text(text, encoding="utf-8")
            closed = time.perf_counter()
            while not any(c.document.path == file for c in engine.ask(_question(n)).sentences):
                time.sleep(0.02)
            delays.append(time.perf_counter() - closed)
            watcher.wait_for(generation + 1, 60)
            after = _files(index)
            written.append(sum(s for p, s in after.items() if before.get(p) != s))
            sizes.append(len(text.encode("utf-8")))
            time.sleep(0.5)
        asker.stop.set()
        asker.join()
    _emit(
        {
            "step": "latency",
            "documents": documents,
            "answerable_seconds_median": statistics.median(delays),
            "answerable_seconds_max": max(delays),
            "answerable_seconds": [round(d, 3) for d in delays],
            "questions_meanwhile": len(asker.times),
            "errors": asker.errors,
        }
    )
    _emit(
        {
            "step": "bytes",
            "document_bytes_median": statistics.median(sizes),
            "written_bytes_median": statistics.median(written),
            "written_bytes_max": max(written),
            "index_bytes": sum(_files(index).values()),
        }
    )


def segments_against_merged(corpus: Path, index: Path, texts: list[str]) -> None:
    """10 recent segments of 20 documents each, then the same merged; searches interleaved."""
    folder = corpus / "live-bench-segments"
    folder.mkdir(exist_ok=True)
    with IndexWriter(corpus, index, notice=lambda _: None) as writer:
        merging.MAX_RECENT, merging.RECENT_SHARE = 0, 0.0
        writer.merge()  # start from one base
        merging.MAX_RECENT, merging.RECENT_SHARE = 1000, 10.0
        for batch in range(10):
            for n in range(20):
                k = 1000 + batch * 20 + n
                (folder / f"sue-{k}.txt").write_text(_document(k), encoding="utf-8")
            writer.update()
        segmented = Engine(writer.index)
        merging.MAX_RECENT, merging.RECENT_SHARE = 0, 0.0
        start = time.perf_counter()
        writer.merge()
        merge_seconds = time.perf_counter() - start
        merged = Engine(writer.index)
    counts = (len(segmented.index.segments), len(merged.index.segments))
    timed: dict[str, list[float]] = {"segments": [], "merged": []}
    for repeat in range(2):
        for text in texts:
            order = [("segments", segmented), ("merged", merged)]
            for name, engine in order if repeat % 2 == 0 else order[::-1]:
                start = time.perf_counter()
                engine.search(text, 5)
                timed[name].append(time.perf_counter() - start)
    p50 = {name: statistics.median(values) for name, values in timed.items()}
    _emit(
        {
            "step": "segments",
            "segments_and_merged_segments": counts,
            "full_merge_seconds": merge_seconds,
            "search_p50_ms_segments": p50["segments"] * 1000,
            "search_p50_ms_merged": p50["merged"] * 1000,
            "ratio": p50["segments"] / p50["merged"],
            "searches_each": len(timed["merged"]),
        }
    )


def merge_under_load(corpus: Path, index: Path, texts: list[str]) -> None:
    """Questions answered while a full merge runs beside them and is swapped in."""
    merging.MAX_RECENT = 1000
    merging.RECENT_SHARE = 10.0
    folder = corpus / "live-bench-merge"
    folder.mkdir(exist_ok=True)
    with IndexWriter(corpus, index, notice=lambda _: None) as writer:
        for n in range(5):
            (folder / f"sue-{2000 + n}.txt").write_text(_document(2000 + n), encoding="utf-8")
            writer.update()
        engine = Engine(writer.index)
        asker = Asker(engine, texts)
        asker.start()
        time.sleep(20)
        quiet_end = time.perf_counter()
        merging.MAX_RECENT = 0
        merging.RECENT_SHARE = 0.0
        merge_start = time.perf_counter()
        writer.merge()
        swap_start = time.perf_counter()
        engine.swap(writer.index)
        merge_end = time.perf_counter()
        time.sleep(2)
        asker.stop.set()
        asker.join()
    quiet = [s for t, s in asker.times if t < quiet_end]
    during = [s for t, s in asker.times if merge_start <= t < merge_end]
    _emit(
        {
            "step": "merge",
            "merge_seconds": swap_start - merge_start,
            "swap_ms": (merge_end - swap_start) * 1000,
            "quiet": {"n": len(quiet), **_summary(quiet)},
            "during_merge": {"n": len(during), **_summary(during)},
            "errors": asker.errors,
        }
    )


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50_ms": _percentile(values, 0.5) * 1000,
        "p99_ms": _percentile(values, 0.99) * 1000,
        "max_ms": max(values) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--steps", default="latency,segments,merge")
    args = parser.parse_args()
    work = args.index.parent / f"{args.corpus.name}-live"
    if not work.exists():
        shutil.copytree(args.corpus, work, copy_function=os.link)
    for extra in work.glob("live-bench*"):
        shutil.rmtree(extra)
    start = time.perf_counter()
    index = open_index(work, args.index, notice=lambda _: None)
    _emit(
        {
            "step": "open",
            "seconds": time.perf_counter() - start,
            "passages": index.bm25.stats.n_docs,
            "documents": len(index.live_documents),
            "load_average": os.getloadavg(),
        }
    )
    texts = questions()[: args.questions]
    steps = args.steps.split(",")
    if "latency" in steps:
        latency_and_bytes(work, args.index, args.documents, texts)
    if "segments" in steps:
        segments_against_merged(work, args.index, texts)
    if "merge" in steps:
        merge_under_load(work, args.index, texts)
    _emit({"step": "done", "load_average": os.getloadavg()})


if __name__ == "__main__":
    main()
