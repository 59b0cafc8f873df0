"""One very large document: a 30 MB .txt made of the ViNewsQA dev contexts, each copy
numbered so that its sentences stay distinct (as in a real archive dump, not repeats pyvi
would see once). Measures the build (wall time, progress lines) and, per question, the time
and the process's peak memory, against a corpus of the same questions' articles alone.

    .venv/bin/python -m bench.large_document [--megabytes 30] [--questions 30]
"""

import argparse
import itertools
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import VINEWSQA

DEFAULT_SET = VINEWSQA if VINEWSQA.is_file() else Path("/work/shared/benchmarks/vinewsqa-dev.json")


def make_document(folder: Path, megabytes: int, squad: Path, files: int = 1) -> list[str]:
    """The text in `files` files of `folder` (one: tuyen-tap.txt); the dev questions."""
    data = json.loads(squad.read_text(encoding="utf-8"))["data"]
    contexts = [p["context"] for a in data for p in a["paragraphs"]]
    questions = [qa["question"] for a in data for p in a["paragraphs"] for qa in p["qas"]]
    target = megabytes << 20
    written = 0
    names = ["tuyen-tap.txt"] if files == 1 else [f"phan-{n:04d}.txt" for n in range(files)]
    outs = [open(folder / name, "w", encoding="utf-8") for name in names]  # noqa: SIM115
    for out in outs:
        out.write("Tuyển tập tin tức\n\n")
    copy = 0
    while written < target:
        copy += 1
        for number, context in enumerate(contexts):
            text = f"Bản {copy}, tin {number}. {context}\n\n"
            outs[(copy * len(contexts) + number) % files].write(text)
            written += len(text.encode("utf-8"))
    for out in outs:
        out.close()
    return questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=30)
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--squad", type=Path, default=DEFAULT_SET)
    parser.add_argument(
        "--files", type=int, default=1, help="the same text in this many files, to compare"
    )
    args = parser.parse_args()
    from retrieval.engine import Engine

    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus"
        corpus.mkdir()
        questions = make_document(corpus, args.megabytes, args.squad, args.files)
        size = sum(file.stat().st_size for file in corpus.iterdir())
        notices: list[tuple[float, str]] = []
        started = time.perf_counter()
        engine = Engine.open(
            corpus,
            Path(folder) / "index",
            notice=lambda m: notices.append((time.perf_counter() - started, m)),
        )
        build = time.perf_counter() - started
        rss_after_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10
        started = time.perf_counter()
        engine = Engine.open(corpus, Path(folder) / "index", notice=lambda m: None)
        load = time.perf_counter() - started
        times = []
        for question in questions[: args.questions]:
            started = time.perf_counter()
            engine.ask(question)
            times.append(time.perf_counter() - started)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10
    print(
        f"{args.files} file(s): {size / 2**20:.1f} MB, {engine.index.n_sentences} sentences; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"build {build:.1f} s with {len(notices)} progress lines; load {load:.2f} s")
    times_seen = [0.0, *(at for at, _ in notices), build]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times_seen)]
    print(f"longest time without a progress line: {max(gaps):.1f} s")
    for at, message in notices[:40]:
        print(f"  {at:6.1f} s  {message}")
    print(
        f"ask x{len(times)}: median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms; peak RSS {peak} MB ({rss_after_build} MB after build)"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
