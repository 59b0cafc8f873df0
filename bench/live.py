"""Measure the live index on a scale corpus (see bench/make_corpus.py): how soon a new
document is answerable, the bytes an update writes, search speed over unmerged segments,
and what updates, merges and swaps cost the questions being answered meanwhile.

    .venv/bin/python -m bench.live --corpus bench/data/p100k --index bench/data/live-100k \
        --steps latency

The corpus folder is copied (hard links) so that documents can be added to it; the index
is built once (reused when current). Steps, each printed as one JSON object per line;
timed steps are run alone on a quiet machine (`/work/wt/quiet bench ...`), the others
(marked "untimed") may run beside other work:

- latency: a watcher serves an engine while questions are asked at --rate a second;
  --documents new files are written one at a time, and the time from each file's close to
  an answer citing it is taken (the watcher's settle time included). Questions overlapping
  an update or a swap are compared with the others, and with the same question's quiet
  time.
- bytes (untimed): documents of 1, 10, 100 and 1,000 sentences added one update each; the
  bytes each update wrote to the index folder against the document's size.
- segments-prepare (untimed): a copy of the index with 10 unmerged recent segments of 20
  documents each (`<index>-segments`), and a copy of that merged (`<index>-merged`).
- segments: search p50 over the two, interleaved question by question (a ratio less
  sensitive to the machine's other load than two separate runs).
- merge: questions at --rate a second while everything is merged into a new base by a
  child process and swapped in, against the same questions before it.
"""

import argparse
import contextlib
import os
import shutil
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

from bench.common import questions
from bench.live_timing import Asker, Intervals, compare, emit, percentile
from retrieval.engine import Engine
from retrieval.index import IndexWriter, load_index, merging, open_index
from retrieval.watch import Watcher

MARKER = "Phóng viên {name} ghi nhận đàn sếu đầu đỏ số {n} bay về Tràm Chim lúc rạng sáng."
FILLER = "Đợt {k} có {k} con sếu số {n} kiếm ăn ở bãi năn phía {side} của vườn quốc gia."


def quiet(_: str) -> None:
    pass


def _files(path: Path) -> dict[Path, int]:
    return {p: p.stat().st_size for p in path.rglob("*") if p.is_file()}


def _document(n: int, sentences: int = 1) -> str:
    name = f"Trần Văn Sếu{n}"
    lines = [MARKER.format(name=name, n=n)]
    lines += [FILLER.format(k=k, n=n, side="bắc nam"[k % 2 * 4 :]) for k in range(sentences - 1)]
    return f"Sếu đầu đỏ về Tràm Chim {n}\n\n" + " ".join(lines) + "\n"


def _question(n: int) -> str:
    return f"Phóng viên nào ghi nhận đàn sếu đầu đỏ số {n} bay về Tràm Chim?"


@contextlib.contextmanager
def _timed_methods(cls: type, names: list[str], intervals: Intervals) -> Iterator[None]:
    """`cls`'s methods `names` recorded in `intervals` while the block runs."""
    originals = {name: getattr(cls, name) for name in names}
    for name, method in originals.items():
        setattr(cls, name, intervals.wrap(method))
    try:
        yield
    finally:
        for name, method in originals.items():
            setattr(cls, name, method)


def _wait_answerable(engine: Engine, file: Path, question: str, timeout: float) -> float:
    """Seconds until an answer cites `file`, asking once per new state of the engine (so
    that the waiting adds no questions of its own to the machine's load)."""
    start, seen = time.perf_counter(), None
    while time.perf_counter() - start < timeout:
        index = engine.index
        if index is not seen:
            seen = index
            if any(c.document.path == file for c in engine.ask(question).sentences):
                return time.perf_counter() - start
        time.sleep(0.01)
    raise TimeoutError(f"{file} not answerable after {timeout} s")


def latency(corpus: Path, index: Path, documents: int, texts: list[str], rate: float) -> None:
    engine = Engine.open(corpus, index, notice=quiet)
    folder = corpus.absolute() / "live-bench"
    folder.mkdir(exist_ok=True)
    busy = Intervals()
    engine.swap = busy.wrap(engine.swap)  # type: ignore[method-assign]
    delays = []
    with (
        _timed_methods(IndexWriter, ["update", "update_paths"], busy),
        Watcher(engine, corpus, index, notice=quiet) as watcher,
    ):
        watcher.wait_for(1, 600)
        asker = Asker(engine, texts, rate)
        asker.start()
        time.sleep(15)  # the watcher's first comparison of the whole corpus
        for n in range(documents + 1):
            generation = watcher.generation
            file = folder / f"sue-{n:03d}.txt"
            file.write_text(_document(n), encoding="utf-8")
            delays.append(_wait_answerable(engine, file, _question(n), 120))
            watcher.wait_for(generation + 1, 60)
            time.sleep(2.0)
        asker.finish()
    first, rest = delays[0], delays[1:]
    emit(
        {
            "step": "latency",
            "documents": documents,
            "rate": rate,
            "first_document_seconds": round(first, 3),
            "answerable_seconds_median": round(statistics.median(rest), 3),
            "answerable_seconds_max": round(max(rest), 3),
            "answerable_seconds": [round(d, 3) for d in rest],
            "errors": asker.errors,
            **compare(asker.times, busy, "update_or_swap"),
            "load_average": os.getloadavg(),
        }
    )


def bytes_written(corpus: Path, index: Path) -> None:
    folder = corpus.absolute() / "live-bench-bytes"
    folder.mkdir(exist_ok=True)
    rows = []
    with IndexWriter(corpus, index, notice=quiet) as writer:
        writer.update()
        for sentences in (1, 10, 100, 1000):
            file = folder / f"sue-{sentences}.txt"
            text = _document(3000 + sentences, sentences)
            before = _files(index)
            file.write_text(text, encoding="utf-8")
            writer.update_paths([file])
            after = _files(index)
            written = sum(size for p, size in after.items() if before.get(p) != size)
            size = len(text.encode("utf-8"))
            rows.append({"document_bytes": size, "written_bytes": written})
    emit({"step": "bytes", "updates": rows, "index_bytes": sum(_files(index).values())})


def _copies(index: Path) -> tuple[Path, Path]:
    return index.with_name(f"{index.name}-segments"), index.with_name(f"{index.name}-merged")


def _merge_all(writer: IndexWriter) -> float:
    merging.MAX_RECENT, merging.RECENT_SHARE = 0, 0.0
    start = time.perf_counter()
    writer.merge()
    return time.perf_counter() - start


def segments_prepare(corpus: Path, index: Path) -> None:
    segmented, merged = _copies(index)
    for copy in (segmented, merged):
        shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(index, segmented)
    folder = corpus / "live-bench-segments"
    folder.mkdir(exist_ok=True)
    with IndexWriter(corpus, segmented, notice=quiet) as writer:
        writer.update()
        _merge_all(writer)  # start from one base
        merging.MAX_RECENT, merging.RECENT_SHARE = 1000, 10.0
        for batch in range(10):
            for n in range(20):
                k = 1000 + batch * 20 + n
                (folder / f"sue-{k}.txt").write_text(_document(k), encoding="utf-8")
            writer.update()
        counts = [len(writer.index.segments)]
    shutil.copytree(segmented, merged)
    with IndexWriter(corpus, merged, notice=quiet) as writer:
        seconds = _merge_all(writer)
        counts.append(len(writer.index.segments))
    emit({"step": "segments-prepare", "segments": counts, "full_merge_seconds": seconds})


def segments(index: Path, texts: list[str]) -> None:
    segmented, merged = _copies(index)
    engines = {"segments": Engine(load_index(segmented)), "merged": Engine(load_index(merged))}
    counts = {name: len(engine.index.segments) for name, engine in engines.items()}
    timed: dict[str, list[float]] = {name: [] for name in engines}
    for engine in engines.values():
        for text in texts[:20]:  # the first searches page the index in
            engine.search(text, 5)
    for repeat in range(2):
        order = list(engines.items())
        for text in texts:
            for name, engine in order if repeat % 2 == 0 else order[::-1]:
                start = time.perf_counter()
                engine.search(text, 5)
                timed[name].append(time.perf_counter() - start)
    p50 = {name: statistics.median(values) for name, values in timed.items()}
    emit(
        {
            "step": "segments",
            "segments": counts,
            "search_p50_ms_segments": round(p50["segments"] * 1000, 2),
            "search_p50_ms_merged": round(p50["merged"] * 1000, 2),
            "search_p99_ms_segments_merged": [
                round(percentile(timed[name], 0.99) * 1000, 2) for name in engines
            ],
            "ratio": round(p50["segments"] / p50["merged"], 3),
            "searches_each": len(timed["merged"]),
            "load_average": os.getloadavg(),
        }
    )


def merge_under_load(
    corpus: Path, index: Path, texts: list[str], rate: float, before: float
) -> None:
    """Questions answered by a watched engine while a new document's update makes the
    policy merge everything into a new base (in a child process) and swap it in."""
    merging.MAX_RECENT, merging.RECENT_SHARE = 1000, 10.0
    folder = corpus.absolute() / "live-bench-merge"
    folder.mkdir(exist_ok=True)
    engine = Engine.open(corpus, index, notice=quiet)
    merge, swap, update = Intervals(), Intervals(), Intervals()
    engine.swap = swap.wrap(engine.swap)  # type: ignore[method-assign]
    with (
        _timed_methods(IndexWriter, ["merge"], merge),
        _timed_methods(IndexWriter, ["update", "update_paths"], update),
        Watcher(engine, corpus, index, notice=quiet) as watcher,
    ):
        watcher.wait_for(1, 600)
        asker = Asker(engine, texts, rate)
        asker.start()
        time.sleep(before)
        generation = watcher.generation
        merging.MAX_RECENT, merging.RECENT_SHARE = 0, 0.0
        (folder / "sue-2000.txt").write_text(_document(2000), encoding="utf-8")
        # The update's swap, then the merge's.
        assert watcher.wait_for(generation + 2, 540), "no merge"
        time.sleep(5)
        asker.finish()
        passages = engine.index.n_passages
        segments = len(engine.index.segments)
    busy = Intervals()
    busy.spans = merge.spans + swap.spans + update.spans
    emit(
        {
            "step": "merge",
            "passages_merged": passages,
            "segments_after": segments,
            "rate": rate,
            "errors": asker.errors,
            **compare(asker.times, busy, "any"),
            **{k: v for k, v in compare(asker.times, merge, "merge").items() if k != "quiet"},
            **{k: v for k, v in compare(asker.times, swap, "swap").items() if k != "quiet"},
            "load_average": os.getloadavg(),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--rate", type=float, default=2.0, help="questions a second")
    parser.add_argument("--before", type=float, default=60.0, help="seconds before a merge")
    parser.add_argument("--steps", default="latency")
    args = parser.parse_args()
    work = args.index.parent / f"{args.corpus.name}-live"
    if not work.exists():
        shutil.copytree(args.corpus, work, copy_function=os.link)
    steps = args.steps.split(",")
    texts = questions()[: args.questions]
    if steps != ["segments"]:
        for extra in work.glob("live-bench*"):
            shutil.rmtree(extra)
        start = time.perf_counter()
        index = open_index(work, args.index, notice=quiet)
        emit(
            {
                "step": "open",
                "seconds": round(time.perf_counter() - start, 3),
                "passages": index.bm25.stats.n_docs,
                "documents": len(index.live_documents),
                "load_average": os.getloadavg(),
            }
        )
    if "latency" in steps:
        latency(work, args.index, args.documents, texts, args.rate)
    if "bytes" in steps:
        bytes_written(work, args.index)
    if "segments-prepare" in steps:
        segments_prepare(work, args.index)
    if "segments" in steps:
        segments(args.index, questions()[:300])
    if "merge" in steps:
        merge_under_load(work, args.index, texts, args.rate, args.before)
    emit({"step": "done", "load_average": os.getloadavg()})


if __name__ == "__main__":
    main()
