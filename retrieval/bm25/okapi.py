"""BM25 of one whole index: its postings scored with their own statistics."""

from collections.abc import Mapping, Sequence

import numpy as np

from retrieval.bm25.postings import Postings
from retrieval.bm25.stats import CorpusStats


class BM25:
    """Okapi BM25 over `n_docs` documents and a vocabulary of `n_terms` term ids, scoring
    `postings` with `stats`, the statistics of those same documents unless given."""

    ARRAY_NAMES = Postings.ARRAY_NAMES

    def __init__(self, postings: Postings, stats: CorpusStats) -> None:
        self.postings = postings
        self.stats = stats

    @classmethod
    def build(
        cls,
        ptr: np.ndarray,
        ids: np.ndarray,
        n_terms: int,
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
        threads: int = 1,
    ) -> "BM25":
        """Index documents given as CSR token ids: document d is `ids[ptr[d]:ptr[d+1]]`.
        The sort at its heart, and the postings made from it, run in `threads` threads."""
        postings = Postings.build(ptr, ids, n_terms, threads)
        return cls(postings, postings.stats(k1, b, epsilon))

    @classmethod
    def from_arrays(
        cls,
        arrays: Mapping[str, np.ndarray],
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> "BM25":
        """Rebuild from `arrays()` output (possibly read-only memory maps); raises ValueError
        when they are inconsistent."""
        postings = Postings.from_arrays(arrays)
        return cls(postings, postings.stats(k1, b, epsilon))

    def arrays(self) -> dict[str, np.ndarray]:
        return self.postings.arrays()

    @property
    def n_docs(self) -> int:
        return self.postings.n_docs

    @property
    def n_terms(self) -> int:
        return self.postings.n_terms

    @property
    def term_ptr(self) -> np.ndarray:
        return self.postings.term_ptr

    @property
    def post_docs(self) -> np.ndarray:
        return self.postings.post_docs

    @property
    def post_tf(self) -> np.ndarray:
        return self.postings.post_tf

    @property
    def idf(self) -> np.ndarray:
        return self.stats.idf

    @property
    def k1(self) -> float:
        return self.stats.k1

    @property
    def b(self) -> float:
        return self.stats.b

    @property
    def epsilon(self) -> float:
        return self.stats.epsilon

    def scores(self, term_ids: Sequence[int]) -> np.ndarray:
        """Dense scores of every document; a repeated query term counts once per occurrence."""
        return self.postings.scores(term_ids, self.stats)

    def top_k(self, term_ids: Sequence[int], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to k (doc indices, scores), best first, ties broken by lower index (see
        `Postings.top_k`)."""
        return self.postings.top_k(term_ids, k, self.stats)
