"""Answers of the sharded index against one index, on every ViNewsQA dev question.

    .venv/bin/python -m bench.cluster_equality --shards 3

Builds one index and a sharded one (in process; the shards' code is the same inside a Ray
actor) of the ViNewsQA dev contexts, asks every dev question as written and typed
without diacritics, and counts the questions whose answer (sentences, citations, hint)
or top-5 passages differ, and the largest score difference.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.common import VINEWSQA
from retrieval.cluster.building import build_sharded, partition
from retrieval.cluster.coordinator import ClusterEngine
from retrieval.cluster.serving import LocalShards
from retrieval.engine import Engine
from retrieval.evaluate import squad_corpus
from retrieval.normalize import fold
from tests.cluster_support import differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--squad", type=Path, default=VINEWSQA)
    args = parser.parse_args()
    corpus, questions = squad_corpus(args.squad)
    asked = [q.question for q in questions]
    asked += [fold(q) for q in asked]
    with tempfile.TemporaryDirectory() as work:
        single = Engine.open(corpus, Path(work) / "single", notice=lambda _: None)
        build_sharded(corpus, Path(work) / "sharded", args.shards, lambda _: None)
        sharded = ClusterEngine(Path(work) / "sharded", LocalShards(Path(work) / "sharded"))
        start = time.perf_counter()
        differ = differences(single, sharded, asked)
        seconds = time.perf_counter() - start
    report = {
        "questions": len(asked),
        "shards": args.shards,
        "documents_per_shard": [len(files) for files in partition(corpus, args.shards)],
        "differ": len(differ),
        "differing": differ[:20],
        "seconds": round(seconds, 1),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
