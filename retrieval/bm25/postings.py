"""Postings of one corpus part (a whole index, a segment or a shard), scored with
statistics given from outside."""

from collections.abc import Mapping, Sequence

import numpy as np

from retrieval.bm25.building import build_postings, term_bounds
from retrieval.bm25.pruning import Scratch, pruned_top_k
from retrieval.bm25.selection import best
from retrieval.bm25.stats import CorpusStats

_SAMPLE_STRIDE = 16
# Postings weighed at a time when scoring: the weights and their denominators then stay in
# cache between the passes over them (15-18% faster than whole posting lists at 100k-1M).
_SCORE_BLOCK = 1 << 15
# Parts of at least this many documents are searched by the compiled, pruned kernel; in
# smaller ones numpy's full scoring takes under a millisecond, less than loading the kernel
# (its dense arrays of every document are what makes it slow in large parts).
PRUNE_MIN_DOCS = 20_000


class Postings:
    """Term-major postings of `n_docs` documents over `n_terms` term ids.

    Postings of term t are `post_docs[term_ptr[t]:term_ptr[t+1]]` (ascending, unique doc
    ids) with `post_tf[...]`, the term's frequency in each document; `doc_len[d]` is the
    number of tokens of document d. `term_max_tf` and `term_min_len` bound each term's
    weights under any statistics (see `term_bounds`). A posting contributes
    idf * tf * (k1 + 1) / (tf + norm), with idf and norm = k1 * (1 - b + b * dl / avgdl)
    from a `CorpusStats`, in float64 and in rank_bm25's order of operations, so scores
    match rank_bm25's over the corpus the statistics describe. Storing weights instead
    would take 8 bytes a posting where the tf takes one (the smallest unsigned type that
    holds the largest tf), and they would change whenever the statistics do.
    """

    ARRAY_NAMES = ("term_ptr", "post_docs", "post_tf", "doc_len", "term_max_tf", "term_min_len")

    def __init__(
        self,
        term_ptr: np.ndarray,
        post_docs: np.ndarray,
        post_tf: np.ndarray,
        doc_len: np.ndarray,
        term_max_tf: np.ndarray,
        term_min_len: np.ndarray,
    ) -> None:
        self.term_ptr = term_ptr
        self.post_docs = post_docs
        self.post_tf = post_tf
        self.doc_len = doc_len
        self.term_max_tf = term_max_tf
        self.term_min_len = term_min_len
        # (avgdl, k1, b) -> norms of every document: computed once per statistics.
        self._norms: tuple[tuple[float, float, float], np.ndarray] | None = None
        self._largest: tuple[tuple[float, float, float], np.ndarray] | None = None
        self._scratch = Scratch()

    @classmethod
    def build(cls, ptr: np.ndarray, ids: np.ndarray, n_terms: int, threads: int = 1) -> "Postings":
        """Postings of documents given as CSR token ids: document d is `ids[ptr[d]:ptr[d+1]]`."""
        term_ptr, post_docs, post_tf, doc_len = build_postings(ptr, ids, n_terms, threads)
        return cls(
            term_ptr,
            post_docs,
            post_tf,
            doc_len,
            *term_bounds(term_ptr, post_docs, post_tf, doc_len),
        )

    @property
    def n_docs(self) -> int:
        return len(self.doc_len)

    @property
    def n_terms(self) -> int:
        return len(self.term_ptr) - 1

    def stats(self, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> CorpusStats:
        """The statistics of these documents alone."""
        return CorpusStats(
            self.n_docs,
            int(self.doc_len.sum(dtype=np.int64)),
            np.diff(self.term_ptr),
            k1,
            b,
            epsilon,
        )

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.ARRAY_NAMES}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> "Postings":
        """Rebuild from `arrays()` output (possibly read-only memory maps); checks only the
        shapes and bounds that are cheap, raising ValueError when they are inconsistent."""
        missing = [name for name in cls.ARRAY_NAMES if name not in arrays]
        if missing:
            raise ValueError(f"missing arrays: {', '.join(missing)}")
        if any(arrays[name].ndim != 1 for name in cls.ARRAY_NAMES):
            raise ValueError("BM25 arrays must be one-dimensional")
        # Plain views of the maps: numpy's memmap subclass costs microseconds in every slice
        # and ufunc, and scoring does several of each per query term.
        term_ptr, post_docs, post_tf, doc_len, max_tf, min_len = (
            np.asarray(arrays[name]) for name in cls.ARRAY_NAMES
        )
        if post_tf.dtype.kind != "u" or max_tf.dtype != post_tf.dtype:
            raise ValueError(f"term frequencies are {post_tf.dtype}, not unsigned integers")
        if len(term_ptr) == 0 or term_ptr[0] != 0:
            raise ValueError("term_ptr does not start at 0")
        if term_ptr[-1] != len(post_docs) or len(post_docs) != len(post_tf):
            raise ValueError("postings lengths disagree with term_ptr")
        if len(max_tf) != len(term_ptr) - 1 or len(min_len) != len(max_tf):
            raise ValueError("term bounds do not match the vocabulary size")
        return cls(term_ptr, post_docs, post_tf, doc_len, max_tf, min_len)

    def norms(self, stats: CorpusStats) -> np.ndarray:
        key = (stats.avgdl, stats.k1, stats.b)
        cached = self._norms
        if cached is None or cached[0] != key:
            cached = (key, stats.doc_norm(self.doc_len))
            self._norms = cached
        return cached[1]

    def largest_weights(self, stats: CorpusStats) -> np.ndarray:
        """Each term's largest weight without idf under `stats` (float32, rounded up), 0
        until a pruned search first asks for the term; kept while the statistics' avgdl,
        k1 and b stay (4 bytes a term)."""
        key = (stats.avgdl, stats.k1, stats.b)
        cached = self._largest
        if cached is None or cached[0] != key:
            cached = (key, np.zeros(self.n_terms, dtype=np.float32))
            self._largest = cached
        return cached[1]

    def used(self, term_ids: Sequence[int], stats: CorpusStats) -> list[int]:
        """The query's terms that can score: ids outside the vocabulary stand for unknown
        words, which score 0."""
        n_terms = min(self.n_terms, stats.n_terms)
        return [t for t in term_ids if 0 <= t < n_terms]

    def scores(
        self, term_ids: Sequence[int], stats: CorpusStats, deleted: np.ndarray | None = None
    ) -> np.ndarray:
        """Dense scores of every document; a repeated query term counts once per occurrence.
        Documents marked True in `deleted` score 0."""
        scores = np.zeros(self.n_docs, dtype=np.float64)
        weights = np.empty(_SCORE_BLOCK, dtype=np.float64)
        denominators = np.empty(_SCORE_BLOCK, dtype=np.float64)
        norms, idf = self.norms(stats), stats.idf
        k1 = stats.k1
        for term in self.used(term_ids, stats):
            start, stop = int(self.term_ptr[term]), int(self.term_ptr[term + 1])
            for lo in range(start, stop, _SCORE_BLOCK):
                hi = min(lo + _SCORE_BLOCK, stop)
                docs = self.post_docs[lo:hi]
                weight, denominator = weights[: hi - lo], denominators[: hi - lo]
                # rank_bm25's formula, operation by operation: every score is the same double.
                weight[...] = self.post_tf[lo:hi]
                # "wrap" gathers with the int32 ids as they are, where the default first copies
                # them to int64; the ids are in range, and add.at raises on any past the end.
                np.take(norms, docs, mode="wrap", out=denominator)
                denominator += weight
                weight *= k1 + 1
                weight /= denominator
                weight *= idf[term]
                # add.at takes the int32 ids as they are; fancy-index += first copies them to
                # int64 and then gathers and scatters, about twice the time.
                np.add.at(scores, docs, weight)
        if deleted is not None:
            scores[deleted] = 0.0
        return scores

    def top_k(
        self,
        term_ids: Sequence[int],
        k: int,
        stats: CorpusStats,
        deleted: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Up to k (doc indices, scores), best first, ties broken by lower index; documents
        marked True in `deleted` never appear.

        Candidates are the documents containing at least one query term, whatever their
        score: in small corpora the epsilon floor makes idfs 0 or negative (with a single
        document every idf is), and a document that matches still beats one that does not.
        Scores can therefore be 0 or negative here.
        """
        query = np.asarray(term_ids, dtype=np.int64)
        if self.n_docs >= PRUNE_MIN_DOCS and k > 0:
            # The compiled kernel checks the terms itself (in numpy or Python that is a
            # tenth of a millisecond): None when a term's idf is not positive.
            found = pruned_top_k(self, query, k, stats, deleted, self._scratch)
            if found is not None:
                return found
        # Vectorised: Python loops over a question's ~20 terms cost a tenth of a millisecond.
        query = query[(query >= 0) & (query < min(self.n_terms, stats.n_terms))]
        if k <= 0 or not len(query):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        positive = bool((stats.idf[query] > 0).all())
        used = query.tolist()
        scores = self.scores(used, stats)
        if deleted is None and positive:
            # Every posting then adds a positive weight: the matching documents are exactly
            # those scoring above 0. The k-th best of every 16th document bounds the k-th
            # best of all from below, so when it is positive one pass keeps only about 16k
            # documents instead of every match.
            sample = scores[::_SAMPLE_STRIDE]
            floor = np.partition(sample, len(sample) - k)[len(sample) - k] if len(sample) > k else 0
            candidates = np.flatnonzero(scores >= floor if floor > 0 else scores > 0)
        else:
            matched = np.zeros(self.n_docs, dtype=bool)
            for term in used:
                matched[self.post_docs[self.term_ptr[term] : self.term_ptr[term + 1]]] = True
            if deleted is not None:
                matched &= ~deleted
            candidates = np.flatnonzero(matched)
        return best(candidates, scores[candidates], k)
