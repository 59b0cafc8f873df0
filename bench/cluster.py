"""The sharded index on a local Ray cluster: build time against one process, search and ask
latency through the actors, memory per actor, and answers against one index.

    .venv/bin/python -m bench.cluster --corpus bench/data/p1m --shards 4 --out bench/out

Builds, in this order and each into a fresh folder: the single index (one process,
every core as workers, as `hoidap index`), then the sharded index (shards as Ray tasks of
one CPU each on a local cluster of as many CPUs). Then serves the sharded index with
`--replicas` actors a shard and asks the `--queries` first benchmark questions
(bench/common.py) through search (k=5) and ask, once to fault the pages in and once
measured; the answers of `--compare` questions are compared with the single index's.
Reports JSON on stdout (and in --out); progress on stderr. `--step` runs one part
(single build, sharded build, serving) so that each timed call stays short; the report in
--out gathers the parts.
"""

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import questions


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99))}


def _status_mb(pid: int) -> dict[str, float]:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
    return fields


def _load() -> float:
    return os.getloadavg()[0]


def build_single(corpus: Path, index: Path) -> float:
    from retrieval.index import open_index

    shutil.rmtree(index, ignore_errors=True)
    start = time.perf_counter()
    open_index(corpus, index, notice=lambda m: _log(f"single: {m}"))
    return time.perf_counter() - start


def build_sharded_timed(corpus: Path, root: Path, shards: int) -> dict[str, float]:
    from retrieval.cluster import store
    from retrieval.cluster.building import build_sharded
    from retrieval.cluster.stats import merge
    from retrieval.index import load_index

    shutil.rmtree(root, ignore_errors=True)
    start = time.perf_counter()
    build_sharded(corpus, root, shards, lambda m: _log(f"sharded: {m}"), use_ray=True)
    total = time.perf_counter() - start
    # The merge alone, again, to say where the time goes.
    start = time.perf_counter()
    merge([load_index(store.shard_path(root, s)) for s in range(shards)])
    return {"build_seconds": total, "merge_seconds": time.perf_counter() - start}


def serve(
    corpus: Path, single: Path, root: Path, shards: int, replicas: int, n: int, compare: int
) -> dict[str, Any]:
    from retrieval.cluster.coordinator import ClusterEngine
    from retrieval.cluster.serving import RayShards
    from retrieval.engine import Engine
    from retrieval.index import load_index

    texts = questions()[:n]
    client = RayShards(root, shards, replicas=replicas, timeout=30.0, hedge=5.0)
    engine = ClusterEngine(root, client)
    start = time.perf_counter()
    pids = client.load(engine.generation, timeout=600)
    load = time.perf_counter() - start
    result: dict[str, Any] = {"actors_load_seconds": load}
    for name, call in (("search", lambda q: engine.search(q, k=5)), ("ask", engine.ask)):
        for q in texts:  # first pass: page faults
            call(q)
        seconds = []
        for q in texts:
            start = time.perf_counter()
            call(q)
            seconds.append(time.perf_counter() - start)
        result[name] = _percentiles(seconds)
        _log(f"{name}: {result[name]} (load {_load():.1f})")
    result["actor_memory_mb"] = [_status_mb(pid) for pid in pids]
    result["update"] = update(corpus, root, shards, engine)
    one = Engine(load_index(single))
    differ, worst = 0, 0.0
    for q in texts[:compare]:
        a, b = one.ask(q).to_dict(), engine.ask(q).to_dict()
        for x, y in zip(a["sentences"], b["sentences"], strict=False):
            worst = max(worst, abs(x.pop("score") - y.pop("score")))
        differ += a != b
    result["compared"] = {
        "questions": min(compare, len(texts)),
        "differ": differ,
        "max_score_difference": worst,
    }
    client.kill()
    return result


# A new article, with a fact no other document holds.
_ARTICLE = """Khai trương tuyến buýt điện số 199 ven sông Hồng

Sáng 30/11, Hà Nội khai trương tuyến buýt điện số 199 chạy ven sông Hồng.
Tuyến buýt điện số 199 dài 37 km, có 53 điểm dừng, vé lượt giá 9.000 đồng.
"""
_QUESTION = "Tuyến buýt điện số 199 dài bao nhiêu km?"


def update(corpus: Path, root: Path, shards: int, engine: Any) -> dict[str, Any]:
    """One article added to the served corpus, then removed: the time `hoidap index
    --shards` takes to write it into its shard, merge and save the global statistics and
    have every actor load them, and the latency of questions right after."""
    from retrieval.cluster import store
    from retrieval.cluster.building import build_sharded, shard_of
    from retrieval.index import load_live

    new = corpus / "zz-bench" / "buyt-199.txt"
    new.parent.mkdir(exist_ok=True)
    result: dict[str, Any] = {}
    steps: list[str] = []
    try:
        for name in ("added", "removed"):
            if name == "added":
                new.write_text(_ARTICLE, encoding="utf-8")
            else:
                new.unlink()
            steps.clear()
            start = time.perf_counter()
            build_sharded(
                corpus, root, shards, lambda m, t=start: steps.append(f"{_stamp(t)} {m}"), True
            )
            seconds = time.perf_counter() - start
            start = time.perf_counter()
            answered = engine.ask(_QUESTION).answered
            first = time.perf_counter() - start
            result[name] = {
                "seconds": seconds,
                "steps": list(steps),
                "answered": answered,
                "first_ask_ms": first * 1000,
                "load": _load(),
            }
            _log(f"update, {name}: {result[name]}")
        result["shard"] = shard_of(new, corpus, shards)
        result["segments"] = [
            [s.name for s in load_live(store.shard_path(root, n)).segments] for n in range(shards)
        ]
    finally:
        new.unlink(missing_ok=True)
        if new.parent.exists():
            new.parent.rmdir()
    return result


def _stamp(start: float) -> str:
    return f"{time.perf_counter() - start:7.2f}s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--compare", type=int, default=300)
    parser.add_argument("--work", type=Path, default=Path("bench/data/cluster-work"))
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--skip-single", action="store_true", help="reuse the single index")
    parser.add_argument(
        "--skip-build", action="store_true", help="serve the indexes already in --work"
    )
    parser.add_argument(
        "--step",
        choices=("all", "single", "sharded", "serve"),
        default="all",
        help="run one part only, adding to the report already in --out",
    )
    args = parser.parse_args()
    if args.step != "all":
        args.skip_single = args.step != "single"
        args.skip_build = args.step == "serve"
    import ray

    cpus = len(os.sched_getaffinity(0))
    out = args.out / f"cluster-{args.corpus.name}-{args.shards}.json"
    report: dict[str, Any] = (
        json.loads(out.read_text()) if args.step != "all" and out.exists() else {}
    )
    report |= {
        "corpus": str(args.corpus),
        "shards": args.shards,
        "replicas": args.replicas,
        "cpus": cpus,
        "load_before": _load(),
    }
    single = args.work / "single"
    if not (args.skip_single or args.skip_build):
        _log("building the single index")
        report["single_build_seconds"] = build_single(args.corpus, single)
        report["load_after_single"] = _load()
    if args.step == "single":
        _write(report, out)
        return
    start = time.perf_counter()
    ray.init(
        address="local",
        num_cpus=cpus,
        include_dashboard=False,
        logging_level="ERROR",
        log_to_driver=False,
    )
    report["ray_init_seconds"] = time.perf_counter() - start
    if not args.skip_build:
        _log("building the sharded index")
        report.update(build_sharded_timed(args.corpus, args.work / "sharded", args.shards))
        report["load_after_sharded"] = _load()
    if "single_build_seconds" in report and "build_seconds" in report:
        report["build_ratio"] = report["build_seconds"] / report["single_build_seconds"]
    if args.step == "sharded":
        _write(report, out)
        ray.shutdown()
        return
    report.update(
        serve(
            args.corpus,
            single,
            args.work / "sharded",
            args.shards,
            args.replicas,
            args.queries,
            args.compare,
        )
    )
    report["load_after"] = _load()
    _write(report, out)
    ray.shutdown()


def _write(report: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2)
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
