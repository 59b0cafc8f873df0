"""Write a scale corpus of .txt documents by resampling real Vietnamese news sentences.

How it is made (deterministic for a given --seed): the source is every sentence of the five
seed articles and of the 500 ViNewsQA dev contexts, split by hoidap's own sentence splitter.
Each generated document takes a source article at random, repeats its headline as the
first line (republished stories repeat headlines, as scraped news does), then 6-30 body
sentences: a contiguous run of that article from a random offset, topped up with sentences
drawn from random other articles, in paragraphs of one to four sentences. Documents are
added until the estimated passage count (ceil(sentences / 3) per document) reaches
--passages; the index reports the exact count. Files go into folders of 1000.

Because sentences are reused verbatim, the corpus has only about as many distinct sentences
as the sources (~9k): segmentation is mostly cached and postings are longer than in a real
archive of the same size, which makes query latency a pessimistic figure.

    .venv/bin/python -m bench.make_corpus --passages 100000 --out bench/data/p100k
"""

import argparse
import json
import math
import shutil
from pathlib import Path

import numpy as np

from bench.common import source_articles

PASSAGE_SENTENCES = 3


def make_corpus(passages: int, out: Path, seed: int = 2026) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    articles = source_articles()
    pool = [s for article in articles for s in article[1:]]
    if out.exists():
        shutil.rmtree(out)
    estimated = documents = sentences = characters = 0
    while estimated < passages:
        article = articles[int(rng.integers(len(articles)))]
        body_length = int(rng.integers(6, 31))
        body = article[1:]
        if body:
            offset = int(rng.integers(len(body)))
            run = min(body_length, len(body))
            picked = [body[(offset + i) % len(body)] for i in range(run)]
        else:
            picked = []
        picked += [pool[int(i)] for i in rng.integers(len(pool), size=body_length - len(picked))]
        lines = [article[0]]
        while picked:
            size = int(rng.integers(1, 5))
            lines.append(" ".join(picked[:size]))
            picked = picked[size:]
        text = "\n\n".join(lines) + "\n"
        folder = out / f"{documents // 1000:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{documents:07d}.txt").write_text(text, encoding="utf-8")
        documents += 1
        sentences += body_length + 1
        characters += len(text)
        estimated += math.ceil((body_length + 1) / PASSAGE_SENTENCES)
    return {
        "documents": documents,
        "sentences": sentences,
        "estimated_passages": estimated,
        "characters": characters,
        "source_articles": len(articles),
        "source_sentences": len({s for article in articles for s in article}),
        "seed": seed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    stats = make_corpus(args.passages, args.out, args.seed)
    (args.out.parent / f"{args.out.name}.json").write_text(json.dumps(stats, indent=1) + "\n")
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
