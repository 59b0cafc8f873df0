"""Fit the answerer's feature weights (retrieval/answerer.py WEIGHTS) on a SQuAD-format file.

Every candidate sentence of every question is labelled by whether it contains a gold
answer; the weights maximise the softmax probability, over each question's candidates,
of the sentences that do (a listwise ranking loss), scaled so that word_coverage weighs 1.
Half of the documents fit, the other half measure hit@1, and the other way round, so the
printed hit@1 is on questions the fit never saw.

    .venv/bin/python bench/fit_answer_weights.py ../shared/benchmarks/vinewsqa-dev.json
"""

import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

from retrieval.answerer import FEATURES, Answerer
from retrieval.engine import Engine
from retrieval.evaluate import Question, squad_corpus
from retrieval.normalize import fold


def _contains(text: str, answers: tuple[str, ...]) -> bool:
    folded = text.casefold()
    return any(a.casefold() in folded for a in answers)


def collect(
    answerer: Answerer, questions: list[Question]
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(gold document, features, labels) of each question's candidate sentences."""
    rows = []
    index = answerer.index
    for q in questions:
        _, sentences, features = answerer.candidates(q.question)
        labels = np.array(
            [_contains(index.sentence_text(s), q.answers) for s in sentences.tolist()]
        )
        rows.append((q.doc_id, features, labels))
    return rows


def fit(rows: list[tuple[str, np.ndarray, np.ndarray]], l2: float = 1e-4) -> np.ndarray:
    useful = [(f, lab) for _, f, lab in rows if lab.any()]

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


def hit_at(rows: list[tuple[str, np.ndarray, np.ndarray]], weights: np.ndarray, k: int) -> float:
    hits = 0
    for _, features, labels in rows:
        if len(features):
            order = np.argsort(-(features @ weights), kind="stable")[:k]
            hits += bool(labels[order].any())
    return 100 * hits / len(rows)


def main() -> None:
    corpus, questions = squad_corpus(Path(sys.argv[1]))
    answerer = Engine.open(corpus, corpus.parent / "index").answerer
    # The typed-without-diacritics forms go in too, so one set of weights serves both.
    both = questions + [Question(fold(q.question), q.doc_id, q.answers) for q in questions]
    rows = collect(answerer, both)
    halves = [[r for r in rows if (int(r[0][-5:]) % 2) == side] for side in (0, 1)]
    for fit_on, test_on in ((0, 1), (1, 0)):
        weights = fit(halves[fit_on])
        print(
            f"fit on half {fit_on}, held-out hit@1 {hit_at(halves[test_on], weights, 1):.1f} "
            f"hit@3 {hit_at(halves[test_on], weights, 3):.1f} "
            f"(current weights: {hit_at(halves[test_on], answerer.weights, 1):.1f})"
        )
    weights = fit(rows)
    print("weights:", ", ".join(f"{w:.3f}" for w in weights))
    for name, w in zip(FEATURES, weights, strict=True):
        print(f"  {name:>14}: {w:+.3f}")


if __name__ == "__main__":
    main()
