"""BM25 scoring over a term-major inverted index, numerically matching `rank_bm25.BM25Okapi`.

rank_bm25 keeps one Python dict per document and loops over all documents for every query
term, which is far too slow and large for a million passages. Here the same formula runs on
flat numpy postings: building is a sort of (term, doc) keys, a query term costs one
vectorised update over its postings only.
"""

from collections.abc import Mapping, Sequence

import numpy as np


class BM25:
    """Okapi BM25 over `n_docs` documents and a vocabulary of `n_terms` term ids.

    Postings of term t are `post_docs[term_ptr[t]:term_ptr[t+1]]` (ascending, unique doc ids)
    with `post_weight[...]`, the term's whole BM25 contribution to each document:
    idf * tf * (k1 + 1) / (tf + doc_norm), where `idf` already holds rank_bm25's epsilon floor
    and `doc_norm` is k1 * (1 - b + b * dl / avgdl). A query term then costs one addition per
    posting; the weights are float64, computed in rank_bm25's order, so scores stay identical.
    """

    ARRAY_NAMES = ("term_ptr", "post_docs", "post_weight", "idf", "doc_norm", "term_max")

    def __init__(
        self,
        term_ptr: np.ndarray,
        post_docs: np.ndarray,
        post_weight: np.ndarray,
        idf: np.ndarray,
        doc_norm: np.ndarray,
        term_max: np.ndarray,
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> None:
        self.term_ptr = term_ptr
        self.post_docs = post_docs
        self.post_weight = post_weight
        self.idf = idf
        self.doc_norm = doc_norm
        self.term_max = term_max
        self.k1 = k1
        self.b = b
        self.epsilon = epsilon

    @property
    def n_docs(self) -> int:
        return len(self.doc_norm)

    @property
    def n_terms(self) -> int:
        return len(self.idf)

    @classmethod
    def build(
        cls,
        ptr: np.ndarray,
        ids: np.ndarray,
        n_terms: int,
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> "BM25":
        """Index documents given as CSR token ids: document d is `ids[ptr[d]:ptr[d+1]]`."""
        ptr = np.asarray(ptr, dtype=np.int64)
        ids = np.asarray(ids)
        if ptr.ndim != 1 or len(ptr) == 0 or ptr[0] != 0 or ptr[-1] != len(ids):
            raise ValueError("ptr must start at 0 and end at len(ids)")
        doc_len = np.diff(ptr)
        if (doc_len < 0).any():
            raise ValueError("ptr must be non-decreasing")
        if len(ids) and (ids.min() < 0 or ids.max() >= n_terms):
            raise ValueError("token ids must lie in [0, n_terms)")
        n_docs = len(doc_len)

        # One sort of term-major keys groups every (term, doc) pair; run lengths are the tfs.
        # In-place arithmetic keeps the peak at two int64 arrays of the postings' size.
        stride = max(n_docs, 1)
        keys = ids.astype(np.int64)
        keys *= stride
        keys += np.repeat(np.arange(n_docs, dtype=np.int64), doc_len)
        keys.sort()
        if len(keys):
            run_starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        else:
            run_starts = np.zeros(0, dtype=np.int64)
        tf = np.diff(np.append(run_starts, len(keys)))
        pair_keys = keys[run_starts]
        del keys
        post_terms = pair_keys // stride
        post_docs = (pair_keys % stride).astype(np.int32)
        del pair_keys

        df = np.bincount(post_terms, minlength=n_terms)
        term_ptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df, out=term_ptr[1:])

        # rank_bm25 only knows terms that occur, so the epsilon floor averages over those;
        # ids that never occur score 0 like unknown words.
        present = df > 0
        idf = np.zeros(n_terms, dtype=np.float64)
        raw = np.log(n_docs - df[present] + 0.5) - np.log(df[present] + 0.5)
        if len(raw):
            floor = epsilon * (raw.sum() / len(raw))
            raw[raw < 0] = floor
        idf[present] = raw

        total = int(doc_len.sum())
        # All-empty corpora have avgdl 0; no postings exist then, so any finite norm will do.
        avgdl = total / n_docs if n_docs and total else 1.0
        doc_norm = k1 * (1 - b + b * doc_len / avgdl)
        post_weight = tf.astype(np.float64)
        del tf
        post_weight = post_weight * (k1 + 1) / (post_weight + doc_norm[post_docs])
        post_weight *= idf[post_terms]
        term_max = np.zeros(n_terms, dtype=np.float64)
        term_max[present] = np.maximum.reduceat(post_weight, term_ptr[:-1][present])
        return cls(term_ptr, post_docs, post_weight, idf, doc_norm, term_max, k1, b, epsilon)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.ARRAY_NAMES}

    @classmethod
    def from_arrays(
        cls,
        arrays: Mapping[str, np.ndarray],
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> "BM25":
        """Rebuild from `arrays()` output (possibly read-only memory maps); checks only the
        shapes and bounds that are cheap, raising ValueError when they are inconsistent."""
        missing = [name for name in cls.ARRAY_NAMES if name not in arrays]
        if missing:
            raise ValueError(f"missing arrays: {', '.join(missing)}")
        term_ptr, post_docs, post_weight, idf, doc_norm, term_max = (
            arrays[name] for name in cls.ARRAY_NAMES
        )
        if any(arrays[name].ndim != 1 for name in cls.ARRAY_NAMES):
            raise ValueError("BM25 arrays must be one-dimensional")
        if len(term_ptr) != len(idf) + 1 or term_ptr[0] != 0 or len(term_max) != len(idf):
            raise ValueError("term_ptr does not match the vocabulary size")
        if term_ptr[-1] != len(post_docs) or len(post_docs) != len(post_weight):
            raise ValueError("postings lengths disagree with term_ptr")
        return cls(term_ptr, post_docs, post_weight, idf, doc_norm, term_max, k1, b, epsilon)

    def scores(self, term_ids: Sequence[int]) -> np.ndarray:
        """Dense scores of every document; a repeated query term counts once per occurrence."""
        scores = np.zeros(self.n_docs, dtype=np.float64)
        for term in term_ids:
            # Ids outside the vocabulary stand for unknown words, which score 0.
            if 0 <= term < self.n_terms:
                lo, hi = self.term_ptr[term], self.term_ptr[term + 1]
                scores[self.post_docs[lo:hi]] += self.post_weight[lo:hi]
        return scores

    def top_k(self, term_ids: Sequence[int], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to k (doc indices, scores), best first, ties broken by lower index; the scores
        are exactly those of `scores`.

        Candidates are the documents containing at least one query term, whatever their
        score: in small corpora the epsilon floor makes idfs 0 or negative (with a single
        document every idf is), and a document that matches still beats one that does not.
        Scores can therefore be 0 or negative here.
        """
        used = [
            t for t in term_ids if 0 <= t < self.n_terms and self.term_ptr[t + 1] > self.term_ptr[t]
        ]
        if k <= 0 or not used:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        if all(self.idf[term] > 0 for term in used):
            candidates = self._pruned_candidates(used, k)
            if candidates is not None:
                return self._best(candidates, self._candidate_scores(used, candidates), k)
            # Every posting then adds a positive weight: the matching documents are exactly
            # those scoring above 0, and one pass over the scores finds them.
            scores = self.scores(used)
            candidates = np.flatnonzero(scores > 0)
        else:
            scores = self.scores(used)
            matched = np.zeros(self.n_docs, dtype=bool)
            for term in used:
                matched[self.post_docs[self.term_ptr[term] : self.term_ptr[term + 1]]] = True
            candidates = np.flatnonzero(matched)
        return self._best(candidates, scores[candidates], k)

    def _pruned_candidates(self, used: list[int], k: int) -> np.ndarray | None:
        """MaxScore pruning: a superset of the top k documents, found without reading the
        postings of the common terms, or None when those cannot be skipped.

        Terms are taken rarest-contribution-first by their largest weight (`term_max`). Once
        the weights the unread terms could still add (`remaining`) fall below the k-th best
        partial score, a document none of the read terms matched cannot reach the top k, and
        only the read terms' documents that could still get there remain candidates.
        """
        counts: dict[int, int] = {}
        for term in used:
            counts[term] = counts.get(term, 0) + 1
        bounds = {t: c * float(self.term_max[t]) for t, c in counts.items()}
        order = sorted(counts, key=lambda t: -bounds[t])
        remaining = sum(bounds.values())
        partial = np.zeros(self.n_docs, dtype=np.float64)
        seen = np.zeros(0, dtype=self.post_docs.dtype)
        for term in order[:-1]:
            lo, hi = self.term_ptr[term], self.term_ptr[term + 1]
            docs = self.post_docs[lo:hi]
            partial[docs] += counts[term] * self.post_weight[lo:hi]
            seen = np.union1d(seen, docs)
            remaining -= bounds[term]
            if len(seen) < k:
                continue
            theta = -np.partition(-partial[seen], k - 1)[k - 1]
            # The margin covers rounding: partial sums here are not in the query's order.
            slack = 1e-9 * (theta + remaining)
            if remaining + slack < theta:
                return seen[partial[seen] + remaining + slack >= theta]
        return None

    def _candidate_scores(self, used: list[int], candidates: np.ndarray) -> np.ndarray:
        """`scores(used)[candidates]` (bit for bit: the same additions in the same order),
        looking the candidates up in each sorted posting list."""
        scores = np.zeros(len(candidates), dtype=np.float64)
        for term in used:
            lo, hi = self.term_ptr[term], self.term_ptr[term + 1]
            docs = self.post_docs[lo:hi]
            at = np.minimum(np.searchsorted(docs, candidates), len(docs) - 1)
            hit = docs[at] == candidates
            scores[hit] += self.post_weight[lo + at[hit]]
        return scores

    @staticmethod
    def _best(
        candidates: np.ndarray, cand_scores: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        if len(candidates) > k:
            # argpartition ignores indices, so keep everything above the k-th score and fill
            # with the lowest-index documents tied at it.
            kth = -np.partition(-cand_scores, k - 1)[k - 1]
            above = cand_scores > kth
            tied = np.flatnonzero(cand_scores == kth)[: k - int(above.sum())]
            keep = np.concatenate((np.flatnonzero(above), tied))
            candidates, cand_scores = candidates[keep], cand_scores[keep]
        order = np.lexsort((candidates, -cand_scores))
        return candidates[order].astype(np.int64), cand_scores[order]


__all__ = ["BM25"]
