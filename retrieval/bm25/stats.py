"""Corpus statistics of BM25: what a score needs from the whole corpus, apart from postings."""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True, eq=False)
class CorpusStats:
    """The statistics of a whole corpus that rank_bm25's BM25Okapi derives its scores from.

    `n_docs` passages (deleted ones not counted) holding `total_length` tokens, and `df[t]`,
    the number of passages that hold term id t (ids past the end of `df` hold none). A
    corpus split into segments or shards sums these over its parts (`combine`), and each
    part then scores with the sum: every score equals rank_bm25's over the whole corpus.
    """

    n_docs: int
    total_length: int
    df: np.ndarray
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25

    @classmethod
    def combine(cls, parts: Iterable["CorpusStats"]) -> "CorpusStats":
        """The statistics of the union of disjoint parts of one corpus, over one vocabulary
        (a part's shorter `df` counts 0 for the ids it lacks)."""
        parts = list(parts)
        if not parts:
            raise ValueError("no statistics to combine")
        first = parts[0]
        if any((p.k1, p.b, p.epsilon) != (first.k1, first.b, first.epsilon) for p in parts):
            raise ValueError("parts use different BM25 parameters")
        df = np.zeros(max(len(p.df) for p in parts), dtype=np.int64)
        for part in parts:
            df[: len(part.df)] += part.df
        return cls(
            sum(p.n_docs for p in parts),
            sum(p.total_length for p in parts),
            df,
            first.k1,
            first.b,
            first.epsilon,
        )

    @property
    def n_terms(self) -> int:
        return len(self.df)

    @property
    def avgdl(self) -> float:
        # All-empty corpora have avgdl 0; no postings exist then, so any finite value will do.
        if self.n_docs and self.total_length:
            return self.total_length / self.n_docs
        return 1.0

    @cached_property
    def idf(self) -> np.ndarray:
        """Each term's idf with rank_bm25's epsilon floor (float64, one per term id)."""
        # rank_bm25 only knows terms that occur, so the epsilon floor averages over those;
        # ids that never occur score 0 like unknown words.
        df = np.asarray(self.df)
        present = df > 0
        idf = np.zeros(len(df), dtype=np.float64)
        raw = np.log(self.n_docs - df[present] + 0.5) - np.log(df[present] + 0.5)
        if len(raw):
            floor = self.epsilon * (raw.sum() / len(raw))
            raw[raw < 0] = floor
        idf[present] = raw
        return idf

    def doc_norm(self, doc_len: np.ndarray) -> np.ndarray:
        """k1 * (1 - b + b * dl / avgdl) of each length, operation by operation as rank_bm25
        computes it, so that scores are the same doubles."""
        return self.k1 * (1 - self.b + self.b * doc_len / self.avgdl)
