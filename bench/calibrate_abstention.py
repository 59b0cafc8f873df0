"""Calibrate the answerer's abstention threshold (Answerer.min_coverage) on data.

Answerable: the questions of a SQuAD-format file, as written and typed without
diacritics, over the corpus of its contexts. Out of scope: tests/data/out_of_scope_questions.txt
(weather, prices, sport, recipes, celebrities, English, gibberish ...), asked over the
same corpus and over the bundled seed articles. The threshold is on `support`: the best
sentence's share, with its context, of the question's word weight. The script prints
both rates for a range of thresholds and picks the highest that still answers 95% of
the answerable questions, written and folded alike.

    .venv/bin/python bench/calibrate_abstention.py ../shared/benchmarks/vinewsqa-dev.json
"""

import sys
from pathlib import Path

import numpy as np

from retrieval.answerer import Answerer, support
from retrieval.engine import Engine
from retrieval.evaluate import squad_corpus
from retrieval.normalize import fold

OUT_OF_SCOPE = (
    Path(__file__).resolve().parent.parent / "tests" / "data" / "out_of_scope_questions.txt"
)
MIN_ANSWERED = 95.0


def best_coverage(answerer: Answerer, questions: list[str]) -> np.ndarray:
    return np.array([support(answerer.candidates(question)[2]) for question in questions])


def main() -> None:
    corpus, squad = squad_corpus(Path(sys.argv[1]))
    squad_answerer = Engine.open(corpus, corpus.parent / "index").answerer
    seeds_answerer = Engine.open().answerer
    asked = [q.question for q in squad]
    written = best_coverage(squad_answerer, asked)
    typed = best_coverage(squad_answerer, [fold(q) for q in asked])
    out_of_scope = OUT_OF_SCOPE.read_text(encoding="utf-8").splitlines()
    unanswerable = np.concatenate(
        [best_coverage(squad_answerer, out_of_scope), best_coverage(seeds_answerer, out_of_scope)]
    )
    print(f"{len(written)} answerable (written and folded), {len(unanswerable)} out of scope")
    print(" threshold  answered%  folded answered%  abstained%")
    chosen, rates = 0.0, (100.0, 0.0)
    for threshold in np.arange(0.30, 0.70, 0.01):
        answered = 100 * float((written >= threshold).mean())
        folded = 100 * float((typed >= threshold).mean())
        abstained = 100 * float((unanswerable < threshold).mean())
        print(f"{threshold:10.2f} {answered:10.1f} {folded:17.1f} {abstained:11.1f}")
        if min(answered, folded) >= MIN_ANSWERED:
            chosen, rates = float(threshold), (answered, abstained)
    print(f"chosen threshold: {chosen:.2f} (answered {rates[0]:.1f}%, abstained {rates[1]:.1f}%)")


if __name__ == "__main__":
    main()
