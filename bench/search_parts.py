"""Where `Engine.search` spends its time beside BM25's `top_k`: the question's terms
(pyvi segmenting, folding, numerals, abbreviations) and the passages' texts.

Each question is searched once through `Engine.search` (the figure a user waits for), and
its parts are then timed one by one: `query_terms`, `top_k` over those terms, and the hits'
passages (`passage_hits`, as the search reads them). Ratios are the medians of
`Engine.search` over `top_k` at the same k. The parts run after the search, with its
caches warm; `--first-sight` times them without the search, as the search meets them.

    .venv/bin/python -m bench.search_parts --index bench/data/idx-100k --queries 1000
    .venv/bin/python -m bench.search_parts --index bench/data/idx-100k --first-sight
"""

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import questions
from retrieval.engine import Engine, passage_hits
from retrieval.index import load_index
from retrieval.query import query_terms

# Questions searched first and left out of the figures: they load the segmenter's model,
# numba's kernel and the first pages of the index.
_WARM_UP = 50


def measure(engine: Engine, texts: list[str], k: int, first_sight: bool) -> dict[str, Any]:
    """With `first_sight`, no search first: the parts are timed on first sight of each
    question (and of its hits' documents) and "search" is their sum."""
    index = engine.index
    times = np.zeros((len(texts), 4))
    for i, text in enumerate(texts):
        if not first_sight:
            start = time.perf_counter()
            engine.search(text, k=k)
            times[i, 0] = time.perf_counter() - start
        start = time.perf_counter()
        terms = query_terms(index, text)
        times[i, 1] = time.perf_counter() - start
        start = time.perf_counter()
        passages, scores = index.bm25.top_k(terms, k)
        times[i, 2] = time.perf_counter() - start
        start = time.perf_counter()
        passage_hits(index, passages.tolist(), scores.tolist(), first_rank=1)
        times[i, 3] = time.perf_counter() - start
        if first_sight:
            times[i, 0] = times[i, 1:].sum()
    ms = np.median(times, axis=0) * 1e3
    return {
        "search_p50_ms": float(ms[0]),
        "search_p99_ms": float(np.percentile(times[:, 0], 99) * 1e3),
        "query_terms_p50_ms": float(ms[1]),
        "top_k_p50_ms": float(ms[2]),
        "texts_p50_ms": float(ms[3]),
        "search_over_top_k": float(ms[0] / ms[2]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument(
        "--first-sight",
        action="store_true",
        help="time the parts before any search of the question",
    )
    args = parser.parse_args()
    engine = Engine(load_index(args.index))
    texts = questions()
    for text in texts[-_WARM_UP:]:
        engine.search(text, k=10)
    texts = texts[: args.queries]
    load = os.getloadavg()[0]
    result = {
        "index": str(args.index),
        "passages": engine.index.n_passages,
        "queries": len(texts),
        "first_sight": args.first_sight,
        **{f"k{k}": measure(engine, texts, k, args.first_sight) for k in (10, 30)},
        "load_avg": [load, os.getloadavg()[0]],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"search-parts-{engine.index.n_passages}{'-first' if args.first_sight else ''}.json"
    (args.out / name).write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
