"""Fit the answerer's feature weights (retrieval/answerer.py WEIGHTS) on a SQuAD-format file.

Every candidate sentence of every question is labelled by whether it contains a gold
answer; the weights maximise the softmax probability, over each question's candidates,
of the sentences that do (a listwise ranking loss), scaled so that word_coverage weighs 1.
Half of the documents fit, the other half measure hit@1, hit@3 and gold document first
(the best sentence is from the question's document), and the other way round, so the
printed figures are on questions the fit never saw; written and typed-without-diacritics
questions are fitted together and reported apart.

    .venv/bin/python bench/fit_answer_weights.py ../shared/benchmarks/vinewsqa-dev.json
"""

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

from retrieval.answerer import Answerer
from retrieval.engine import Engine
from retrieval.evaluate import Question, squad_corpus
from retrieval.features import FEATURES
from retrieval.normalize import fold


def _contains(text: str, answers: tuple[str, ...]) -> bool:
    folded = text.casefold()
    return any(a.casefold() in folded for a in answers)


@dataclass(frozen=True)
class Row:
    """One question's candidate sentences: features, whether each holds a gold answer and
    whether it is from the question's document."""

    doc_id: str
    folded: bool
    features: np.ndarray
    labels: np.ndarray
    in_gold: np.ndarray


def collect(answerer: Answerer, questions: list[Question], folded: bool) -> list[Row]:
    rows = []
    index = answerer.index
    for q in questions:
        _, sentences, features = answerer.candidates(fold(q.question) if folded else q.question)
        labels = np.array(
            [_contains(index.sentence_text(s), q.answers) for s in sentences.tolist()], dtype=bool
        )
        docs = [index.documents[d].doc_id for d in index.sentence_doc[sentences].tolist()]
        in_gold = np.array([d == q.doc_id for d in docs], dtype=bool)
        rows.append(Row(q.doc_id, folded, features, labels, in_gold))
    return rows


def fit(rows: list[Row], l2: float = 1e-4) -> np.ndarray:
    useful = [(r.features, r.labels) for r in rows if r.labels.any()]

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(weights)
        for features, labels in useful:
            scores = features @ weights
            every, good = logsumexp(scores), logsumexp(scores[labels])
            total += every - good
            p_every = np.exp(scores - every)
            p_good = np.where(labels, np.exp(scores - good), 0.0)
            grad += features.T @ (p_every - p_good)
        n = len(useful)
        return total / n + l2 * weights @ weights, grad / n + 2 * l2 * weights

    start = np.zeros(len(FEATURES))
    start[FEATURES.index("word_coverage")] = 1.0
    weights = minimize(loss, start, jac=True, method="L-BFGS-B").x
    return weights / weights[FEATURES.index("word_coverage")]


def measure(rows: list[Row], weights: list[np.ndarray]) -> str:
    """hit@1, hit@3 and gold document first in percent of `rows`, row i ranked by weights[i]."""
    hit1 = hit3 = gold = 0
    for row, w in zip(rows, weights, strict=True):
        if len(row.features):
            order = np.argsort(-(row.features @ w), kind="stable")
            hit1 += bool(row.labels[order[0]])
            hit3 += bool(row.labels[order[:3]].any())
            gold += bool(row.in_gold[order[0]])
    n = max(len(rows), 1)
    return f"hit@1 {100 * hit1 / n:.1f} hit@3 {100 * hit3 / n:.1f} gold-doc@1 {100 * gold / n:.1f}"


def main() -> None:
    corpus, questions = squad_corpus(Path(sys.argv[1]))
    answerer = Engine.open(corpus, corpus.parent / "index").answerer
    # The typed-without-diacritics forms go in too, so one set of weights serves both.
    rows = collect(answerer, questions, folded=False) + collect(answerer, questions, folded=True)
    odd = [int(r.doc_id[-5:]) % 2 for r in rows]
    fitted = [fit([r for r, o in zip(rows, odd, strict=True) if o == half]) for half in (0, 1)]
    for folded in (False, True):
        mine = [i for i, r in enumerate(rows) if r.folded == folded]
        held_out = measure([rows[i] for i in mine], [fitted[1 - odd[i]] for i in mine])
        current = measure([rows[i] for i in mine], [answerer.weights] * len(mine))
        name = "without diacritics" if folded else "written"
        print(f"{name:>18}, held out: {held_out}; current weights: {current}")
    weights = fit(rows)
    print("weights:", ", ".join(f"{w:.3f}" for w in weights))
    for name, w in zip(FEATURES, weights, strict=True):
        print(f"  {name:>14}: {w:+.3f}")


if __name__ == "__main__":
    main()
