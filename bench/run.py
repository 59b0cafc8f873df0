"""Measure hoidap on a corpus: build, disk, load, memory, search/ask latency, rank_bm25.

Each measurement runs in a fresh child process (`python -m bench.run --child ...`) so that
peak memory, load time and serving memory belong to that step alone; times exclude Python
start and imports. Results go to bench/out/<corpus name>.json and a table row on stdout.

    .venv/bin/python -m bench.run --corpus bench/data/p100k --queries 1000 --single-worker \\
        --rank-bm25 1000 --incremental
"""

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import ROOT, questions

# Scores of this many queries are compared with rank_bm25's in full.
PARITY_QUERIES = 50
# Iterations of the loop that measures how parallel the machine is (about a second).
_SPIN = 30_000_000


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def _mapped_mb(folder: Path) -> dict[str, float]:
    """Resident MB of each file under `folder` that this process maps, largest first: which
    index arrays the pages in serving_rss_file_mb belong to."""
    resident: dict[str, float] = {}
    path = ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if not fields[0].endswith(":"):
            # A mapping's first line: address range, permissions, offset, device, inode, path.
            path = " ".join(fields[5:])
        elif fields[0] == "Rss:" and path.startswith(f"{folder}/"):
            name = Path(path).name
            resident[name] = resident.get(name, 0.0) + int(fields[1]) / 1024
    return dict(sorted(resident.items(), key=lambda item: -item[1]))


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1e3
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99))}


def child_build(corpus: Path, index: Path, workers: int) -> dict[str, Any]:
    from retrieval.index import open_index

    shutil.rmtree(index, ignore_errors=True)
    # The build's notices mark its phases: the last "documents read" ends the reading, and
    # "indexed ..." comes once the distinct sentences are segmented and BM25 is built.
    marks: dict[str, float] = {}

    def notice(message: str) -> None:
        if message.endswith("documents read"):
            marks["read"] = time.perf_counter() - start
        elif message.startswith("indexed "):
            marks["indexed"] = time.perf_counter() - start

    cpu_before = os.times()
    start = time.perf_counter()
    built = open_index(corpus, index, notice=notice, workers=workers)
    seconds = time.perf_counter() - start
    cpu = os.times()
    read = marks.get("read", 0.0)
    return {
        "seconds": seconds,
        "phases_seconds": {
            "reading": read,
            "segmenting_and_bm25": marks["indexed"] - read,
            "saving_and_loading": seconds - marks["indexed"],
        },
        # Main process and workers: cpu_seconds / seconds is how many cores the build used.
        "cpu_seconds": sum(cpu[:4]) - sum(cpu_before[:4]),
        "peak_rss_mb": _status_kb("VmHWM") / 1024,
        "workers_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "documents": len(built.documents),
        "sentences": built.n_sentences,
        "passages": built.n_passages,
        "terms": len(built.vocab),
        "postings": len(built.bm25.post_docs),
    }


def child_serve(corpus: Path, index: Path, queries: int) -> dict[str, Any]:
    from retrieval.engine import Engine
    from retrieval.index import load_index
    from retrieval.query import query_terms

    texts = questions()[:queries]
    start = time.perf_counter()
    engine = Engine(load_index(index))
    load = time.perf_counter() - start
    rss_loaded = _status_kb("VmRSS") / 1024
    start = time.perf_counter()
    Engine.open(corpus, index)
    open_seconds = time.perf_counter() - start
    search, ask, parse, rank = [], [], [], []
    for text in texts:
        start = time.perf_counter()
        engine.search(text, k=5)
        search.append(time.perf_counter() - start)
    # The first pass faults the index pages it reads into this process; a long-running
    # server has them mapped already, as in this second pass.
    warm = []
    for text in texts:
        start = time.perf_counter()
        engine.search(text, k=5)
        warm.append(time.perf_counter() - start)
    # Where search time goes: the question's terms (pyvi, folding) and BM25 ranking.
    for text in texts:
        start = time.perf_counter()
        terms = query_terms(engine.index, text)
        parse.append(time.perf_counter() - start)
        start = time.perf_counter()
        engine.index.bm25.top_k(terms, 5)
        rank.append(time.perf_counter() - start)
    for text in texts:
        start = time.perf_counter()
        engine.ask(text)
        ask.append(time.perf_counter() - start)
    return {
        "load_seconds": load,
        "open_seconds": open_seconds,
        "rss_after_load_mb": rss_loaded,
        "serving_rss_mb": _status_kb("VmRSS") / 1024,
        # Memory-mapped index pages count in RSS once touched, but they are page cache the
        # kernel can drop and reread; the process's own memory is the anonymous part.
        "serving_rss_anon_mb": _status_kb("RssAnon") / 1024,
        "serving_rss_file_mb": _status_kb("RssFile") / 1024,
        "serving_rss_by_file_mb": _mapped_mb(index.resolve()),
        "queries": len(texts),
        "search": _percentiles(search),
        "search_second_pass": _percentiles(warm),
        "query_terms": _percentiles(parse),
        "top_k": _percentiles(rank),
        "ask": _percentiles(ask),
    }


def child_rank_bm25(index: Path, queries: int) -> dict[str, Any]:
    from rank_bm25 import BM25Okapi

    from retrieval.index import load_index
    from retrieval.query import query_terms

    loaded = load_index(index)
    terms = sorted(loaded.vocab, key=loaded.vocab.__getitem__)
    ids = loaded.sentence_term_ids
    ptr = loaded.sentence_term_ptr[loaded.passage_sentence_ptr]
    corpus = [[terms[t] for t in ids[ptr[p] : ptr[p + 1]].tolist()] for p in range(len(ptr) - 1)]
    start = time.perf_counter()
    reference = BM25Okapi(corpus)
    build = time.perf_counter() - start
    ours, theirs, worst = [], [], 0.0
    for n, text in enumerate(questions()[:queries]):
        query = query_terms(loaded, text)
        start = time.perf_counter()
        loaded.bm25.top_k(query, 5)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        expected = reference.get_scores([terms[t] for t in query])
        theirs.append(time.perf_counter() - start)
        if n < PARITY_QUERIES:
            worst = max(worst, float(np.abs(loaded.bm25.scores(query) - expected).max()))
    if worst > 1e-9:
        raise AssertionError(f"scores differ from rank_bm25 by {worst}")
    return {
        "rank_bm25_build_seconds": build,
        "rank_bm25": _percentiles(theirs),
        "top_k": _percentiles(ours),
        "ratio_p50": float(np.median(theirs) / np.median(ours)),
        "max_score_difference": worst,
        "parity_queries": min(PARITY_QUERIES, queries),
        "queries": len(ours),
    }


def child_incremental(corpus: Path, index: Path) -> dict[str, Any]:
    from retrieval.index import open_index

    donor = next(iter(sorted(corpus.rglob("*.txt"))))
    added = corpus / "zz-added.txt"
    added.write_text("Tin mới bổ sung\n\n" + donor.read_text(encoding="utf-8"), encoding="utf-8")
    try:
        start = time.perf_counter()
        updated = open_index(corpus, index, notice=lambda _: None)
        add = time.perf_counter() - start
    finally:
        added.unlink()
    start = time.perf_counter()
    open_index(corpus, index, notice=lambda _: None)
    remove = time.perf_counter() - start
    return {"add_one_seconds": add, "remove_one_seconds": remove, "passages": updated.n_passages}


def _spin(_: int) -> int:
    total = 0
    for i in range(_SPIN):
        total += i
    return total


def child_ceiling(workers: int) -> dict[str, Any]:
    """The speedup this machine gives `workers` processes of work that shares nothing (a
    Python loop each), against the same loops one after another: the most any parallel
    build can reach here. Virtual cores may be hyperthreads of one physical core."""
    import multiprocessing

    serial, parallel = [], []
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for _ in range(3):
            start = time.perf_counter()
            for n in range(workers):
                _spin(n)
            serial.append(time.perf_counter() - start)
            start = time.perf_counter()
            pool.map(_spin, range(workers))
            parallel.append(time.perf_counter() - start)
    return {"workers": workers, "speedup": float(np.median(serial) / np.median(parallel))}


def busy_cores(seconds: float = 1.0) -> float:
    """How many cores were busy over `seconds`, from /proc/stat (other users included)."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields) - idle, sum(fields)

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return (busy1 - busy0) / max(total1 - total0, 1) * (os.cpu_count() or 1)


def run_child(*args: str) -> dict[str, Any]:
    # Other work on the machine skews timings: wait up to a minute for it to calm down,
    # and record how busy the machine was when the step started.
    deadline = time.monotonic() + 60
    busy = busy_cores()
    while busy > 0.3 and time.monotonic() < deadline:
        busy = busy_cores(5.0)
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--child", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    measured = json.loads(result.stdout.splitlines()[-1])
    measured["busy_cores_before"] = round(busy, 2)
    return measured


def machine() -> dict[str, Any]:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    models = [ln.split(":", 1)[1].strip() for ln in lscpu.splitlines() if "Model name" in ln]
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": models[0] if models else "",
        "memory_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def characters(corpus: Path) -> int:
    """The corpus's characters. Reading every file also puts the corpus in the page cache,
    so that the first build does not pay alone for the disk."""
    return sum(len(p.read_text(encoding="utf-8")) for p in corpus.rglob("*.txt"))


def disk_mb(index: Path) -> float:
    # Every file under the index folder: a live index holds segments and a manifest.
    return sum(f.stat().st_size for f in index.rglob("*") if f.is_file()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--single-worker", action="store_true", help="also build with 1 worker")
    parser.add_argument(
        "--build-repeats",
        type=int,
        default=1,
        metavar="N",
        help="with --single-worker: N pairs of builds; the speedup is their median",
    )
    parser.add_argument(
        "--rank-bm25",
        type=int,
        default=0,
        metavar="N",
        help="compare the first N queries with rank_bm25 (it takes ~1 s a query at 100k)",
    )
    parser.add_argument("--incremental", action="store_true", help="time adding one document")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the index and figures of an earlier run; measure only the steps asked for",
    )
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        children = {
            "build": lambda: child_build(Path(rest[0]), Path(rest[1]), int(rest[2])),
            "serve": lambda: child_serve(Path(rest[0]), Path(rest[1]), int(rest[2])),
            "rank_bm25": lambda: child_rank_bm25(Path(rest[0]), int(rest[1])),
            "incremental": lambda: child_incremental(Path(rest[0]), Path(rest[1])),
            "ceiling": lambda: child_ceiling(int(rest[0])),
        }
        print(json.dumps(children[kind]()))
        return
    if args.corpus is None:
        parser.error("--corpus is required")

    corpus = args.corpus.resolve()
    name = corpus.name
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    index = out / f"index-{name}"
    earlier = out / f"{name}.json"
    report: dict[str, Any] = json.loads(earlier.read_text()) if args.reuse else {}
    report.update({"corpus": str(corpus), "machine": machine()})
    chars = characters(corpus)
    report["characters"] = chars

    def log(step: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {name}: {step}", file=sys.stderr, flush=True)
        (out / f"{name}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))

    if not args.reuse:
        # On a virtual machine the same build varies by a tenth or more from run to run, so
        # the ratio is the median of --build-repeats pairs of builds, 1 worker then all.
        ratios, ceilings = [], []
        for _ in range(args.build_repeats if args.single_worker else 1):
            if args.single_worker:
                log("parallel ceiling")
                ceilings.append(run_child("ceiling", str(args.workers))["speedup"])
                log("build, 1 worker")
                single = run_child("build", str(corpus), str(out / f"index-{name}-1w"), "1")
                single["chars_per_second"] = chars / single["seconds"]
                report["build_1_worker"] = single
                shutil.rmtree(out / f"index-{name}-1w")
            log(f"build, {args.workers} workers")
            build = run_child("build", str(corpus), str(index), str(args.workers))
            build["chars_per_second"] = chars / build["seconds"]
            build["workers"] = args.workers
            report["build"] = build
            if args.single_worker:
                ratios.append(single["seconds"] / build["seconds"])
        if args.single_worker:
            report["parallel_speedups"] = ratios
            report["parallel_speedup"] = float(np.median(ratios))
            report["machine_parallel_speedups"] = ceilings
            report["machine_parallel_speedup"] = float(np.median(ceilings))
        report["index_disk_mb"] = disk_mb(index)
    log("serve")
    report["serve"] = run_child("serve", str(corpus), str(index), str(args.queries))
    if args.rank_bm25:
        log("rank_bm25")
        report["rank_bm25"] = run_child("rank_bm25", str(index), str(args.rank_bm25))
    if args.incremental:
        log("incremental")
        report["incremental"] = run_child("incremental", str(corpus), str(index))
    log("done")
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
