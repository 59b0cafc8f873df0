"""Proof that `retrieval.segmenter` (pyvi's CRF run by python-crfsuite, no scikit-learn)
gives pyvi's output token for token, and what each costs.

Compared: every line of the seeds, every ViNewsQA dev context (whole, as pyvi sees a long
text, and line by line) and every dev question, each with and without the normalisation
the index applies first. Usage:

    .venv/bin/python -m bench.segmenter [--vinewsqa /work/shared/benchmarks/vinewsqa-dev.json]
"""

import argparse
import json
import time
from pathlib import Path

from bench.common import SEED_QUESTIONS, SEEDS, VINEWSQA
from retrieval import segmenter
from retrieval.normalize import normalize


def texts(vinewsqa: Path) -> list[str]:
    found = [
        line
        for path in sorted(SEEDS.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    seeds = json.loads(SEED_QUESTIONS.read_text(encoding="utf-8"))
    found += [q["question"] for q in seeds["answerable"]] + list(seeds["unanswerable"])
    for article in json.loads(vinewsqa.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            found.append(context)
            found += context.splitlines()
            found += [qa["question"] for qa in paragraph["qas"]]
    return found + [normalize(text) for text in found]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vinewsqa", type=Path, default=VINEWSQA)
    args = parser.parse_args()
    vinewsqa = (
        args.vinewsqa
        if args.vinewsqa.is_file()
        else Path("/work/shared/benchmarks/vinewsqa-dev.json")
    )
    sample = texts(vinewsqa)

    started = time.perf_counter()
    from pyvi import ViTokenizer

    pyvi_import = time.perf_counter() - started
    started = time.perf_counter()
    segmenter.tokenize("Hà Nội")
    ours_load = time.perf_counter() - started

    started = time.perf_counter()
    theirs = [ViTokenizer.tokenize(text) for text in sample]
    pyvi_seconds = time.perf_counter() - started
    started = time.perf_counter()
    ours = [segmenter.tokenize(text) for text in sample]
    ours_seconds = time.perf_counter() - started

    differing = [(text, a, b) for text, a, b in zip(sample, theirs, ours, strict=True) if a != b]
    tokens = sum(len(a.split()) for a in theirs)
    print(f"texts compared: {len(sample)} ({sum(map(len, sample))} characters, {tokens} tokens)")
    print(f"differing: {len(differing)}")
    for text, a, b in differing[:5]:
        print(f"  {text[:80]!r}\n    pyvi: {a[:120]!r}\n    ours: {b[:120]!r}")
    print(f"import/load: pyvi {pyvi_import:.2f} s, ours {ours_load:.2f} s")
    print(f"segmenting all: pyvi {pyvi_seconds:.1f} s, ours {ours_seconds:.1f} s")
    raise SystemExit(1 if differing else 0)


if __name__ == "__main__":
    main()
