"""BM25 scoring over a term-major inverted index, numerically matching `rank_bm25.BM25Okapi`.

rank_bm25 keeps one Python dict per document and loops over all documents for every query
term, which is far too slow and large for a million passages. Here the same formula runs on
flat numpy postings: building is a sort of (term, doc) keys, a query term costs one
vectorised update over its postings only.
"""

import itertools
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_SAMPLE_STRIDE = 16
# Postings weighed at a time when scoring: the weights and their denominators then stay in
# cache between the passes over them (15-18% faster than whole posting lists at 100k-1M).
_SCORE_BLOCK = 1 << 15
# Tokens or postings, and documents, handled at a time while building, so that
# temporaries stay small next to the postings themselves.
_BLOCK = 1 << 20
_DOC_BLOCK = 1 << 16


def _run_lengths(starts: np.ndarray, lengths: np.ndarray) -> None:
    """Write into `lengths` the lengths of the runs that begin where the boolean `starts` is
    True (it is at 0)."""
    done = 0
    previous = 0
    for lo in range(0, len(starts), _BLOCK):
        begins = np.flatnonzero(starts[lo : lo + _BLOCK]) + lo
        if len(begins) == 0:
            continue
        if lo:
            lengths[done] = begins[0] - previous
            done += 1
        lengths[done : done + len(begins) - 1] = np.diff(begins)
        done += len(begins) - 1
        previous = begins[-1]
    if len(lengths):
        lengths[done] = len(starts) - previous


def _make_keys(
    keys: np.ndarray, ids: np.ndarray, ptr: np.ndarray, stride: int, lo: int, hi: int
) -> None:
    """Write term * stride + doc into `keys` for the tokens of documents lo .. hi - 1."""
    first, last = ptr[lo], ptr[hi]
    np.multiply(ids[first:last], stride, out=keys[first:last], dtype=np.int64)
    keys[first:last] += np.repeat(np.arange(lo, hi, dtype=np.int64), np.diff(ptr[lo : hi + 1]))


def _sort(values: np.ndarray, executor: ThreadPoolExecutor, threads: int) -> None:
    """Sort in place. numpy releases the GIL while sorting, so parts sort side by side;
    a stable sort (timsort) of the sorted parts is then a merge, a tenth of a full sort."""
    if threads <= 1 or len(values) < _BLOCK:
        values.sort()
        return
    bounds = np.linspace(0, len(values), threads + 1).astype(np.int64)
    list(executor.map(np.ndarray.sort, (values[a:b] for a, b in itertools.pairwise(bounds))))
    values.sort(kind="stable")


def _pair_starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal sorted `keys`, a (term, doc) pair, begins."""
    starts = np.ones(len(keys), dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=starts[1:])
    return starts


def _fill_postings(
    keys: np.ndarray,
    starts: np.ndarray,
    stride: int,
    bounds: np.ndarray,
    post_docs: np.ndarray,
    tf: np.ndarray,
) -> np.ndarray:
    """Write the doc ids and tfs of the pairs in the sorted `keys` (term * stride + doc) into
    `post_docs` and `tf`; return how many of the pairs lie below each of `bounds` (each
    term's first key). The pairs' keys are taken a block at a time, so that no array of
    them all adds to the build's peak memory."""
    _run_lengths(starts, tf)
    below = np.zeros(len(bounds), dtype=np.int64)
    done = 0
    for lo in range(0, len(keys), _BLOCK):
        pairs = keys[lo : lo + _BLOCK][starts[lo : lo + _BLOCK]]
        if not len(pairs):
            continue
        post_docs[done : done + len(pairs)] = pairs % stride
        first, last = np.searchsorted(bounds, pairs[[0, -1]], side="right")
        below[first:last] += np.searchsorted(pairs, bounds[first:last])
        below[last:] += len(pairs)
        done += len(pairs)
    return below


class BM25:
    """Okapi BM25 over `n_docs` documents and a vocabulary of `n_terms` term ids.

    Postings of term t are `post_docs[term_ptr[t]:term_ptr[t+1]]` (ascending, unique doc ids)
    with `post_tf[...]`, the term's frequency in each document. A posting contributes
    idf * tf * (k1 + 1) / (tf + doc_norm), where `idf` already holds rank_bm25's epsilon floor
    and `doc_norm` is k1 * (1 - b + b * dl / avgdl). The weight is computed at query time, in
    float64 and always in the same order, so scores match rank_bm25's: storing it instead
    would take 8 bytes a posting where the tf takes one (the smallest unsigned type that
    holds the corpus's largest tf), and the postings are most of the index.
    """

    ARRAY_NAMES = ("term_ptr", "post_docs", "post_tf", "idf", "doc_norm")

    def __init__(
        self,
        term_ptr: np.ndarray,
        post_docs: np.ndarray,
        post_tf: np.ndarray,
        idf: np.ndarray,
        doc_norm: np.ndarray,
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> None:
        self.term_ptr = term_ptr
        self.post_docs = post_docs
        self.post_tf = post_tf
        self.idf = idf
        self.doc_norm = doc_norm
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
        threads: int = 1,
    ) -> "BM25":
        """Index documents given as CSR token ids: document d is `ids[ptr[d]:ptr[d+1]]`.
        The sort at its heart, and the postings made from it, run in `threads` threads."""
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
        # Keys are made in place, blocks of documents side by side (numpy releases the GIL
        # in these loops), and each temporary is dropped as soon as it is used: the build's
        # peak memory is these arrays.
        stride = max(n_docs, 1)
        keys = np.empty(len(ids), dtype=np.int64)
        step = max(1, min(_DOC_BLOCK, -(-n_docs // max(threads, 1))))
        with ThreadPoolExecutor(max(threads, 1)) as executor:
            list(
                executor.map(
                    _make_keys,
                    itertools.repeat(keys),
                    itertools.repeat(ids),
                    itertools.repeat(ptr),
                    itertools.repeat(stride),
                    range(0, n_docs, step),
                    (min(lo + step, n_docs) for lo in range(0, n_docs, step)),
                )
            )
            _sort(keys, executor, threads)
            # The sorted keys are cut where a pair begins, so each part holds whole runs, and
            # the parts become postings side by side: first where their pairs begin, then,
            # once the postings are allocated, their contents.
            inner = (
                np.linspace(0, len(keys), threads + 1).astype(np.int64)[1:-1] if len(keys) else []
            )
            cuts = [0, *np.searchsorted(keys, keys[inner]).tolist(), len(keys)]
            pieces = [keys[lo:hi] for lo, hi in itertools.pairwise(cuts)]
            starts = list(executor.map(_pair_starts, pieces))
            ends = np.cumsum([0, *(int(np.count_nonzero(s)) for s in starts)])
            post_docs = np.empty(int(ends[-1]), dtype=np.int32)
            tf = np.empty(int(ends[-1]), dtype=np.int32)
            bounds = np.arange(n_terms + 1, dtype=np.int64) * stride
            below = executor.map(
                _fill_postings,
                pieces,
                starts,
                itertools.repeat(stride),
                itertools.repeat(bounds),
                [post_docs[lo:hi] for lo, hi in itertools.pairwise(ends)],
                [tf[lo:hi] for lo, hi in itertools.pairwise(ends)],
            )
            term_ptr = np.sum(list(below), axis=0)
        del keys, pieces, starts
        df = np.diff(term_ptr)

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
        # The type follows the data, so no tf is ever clipped.
        post_tf = tf.astype(np.min_scalar_type(int(tf.max()) if len(tf) else 0))
        return cls(term_ptr, post_docs, post_tf, idf, doc_norm, k1, b, epsilon)

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
        # Plain views of the maps: numpy's memmap subclass costs microseconds in every slice
        # and ufunc, and scoring does several of each per query term.
        term_ptr, post_docs, post_tf, idf, doc_norm = (
            np.asarray(arrays[name]) for name in cls.ARRAY_NAMES
        )
        if any(arrays[name].ndim != 1 for name in cls.ARRAY_NAMES):
            raise ValueError("BM25 arrays must be one-dimensional")
        if post_tf.dtype.kind != "u":
            raise ValueError(f"term frequencies are {post_tf.dtype}, not unsigned integers")
        if len(term_ptr) != len(idf) + 1 or term_ptr[0] != 0:
            raise ValueError("term_ptr does not match the vocabulary size")
        if term_ptr[-1] != len(post_docs) or len(post_docs) != len(post_tf):
            raise ValueError("postings lengths disagree with term_ptr")
        return cls(term_ptr, post_docs, post_tf, idf, doc_norm, k1, b, epsilon)

    def _used(self, term_ids: Sequence[int]) -> list[int]:
        # Ids outside the vocabulary stand for unknown words, which score 0.
        return [t for t in term_ids if 0 <= t < self.n_terms]

    def scores(self, term_ids: Sequence[int]) -> np.ndarray:
        """Dense scores of every document; a repeated query term counts once per occurrence."""
        scores = np.zeros(self.n_docs, dtype=np.float64)
        weights = np.empty(_SCORE_BLOCK, dtype=np.float64)
        denominators = np.empty(_SCORE_BLOCK, dtype=np.float64)
        for term in self._used(term_ids):
            start, stop = int(self.term_ptr[term]), int(self.term_ptr[term + 1])
            for lo in range(start, stop, _SCORE_BLOCK):
                hi = min(lo + _SCORE_BLOCK, stop)
                docs = self.post_docs[lo:hi]
                weight, denominator = weights[: hi - lo], denominators[: hi - lo]
                # rank_bm25's formula, operation by operation: every score is the same double.
                weight[...] = self.post_tf[lo:hi]
                # "wrap" gathers with the int32 ids as they are, where the default first copies
                # them to int64; the ids are in range, and add.at raises on any past the end.
                np.take(self.doc_norm, docs, mode="wrap", out=denominator)
                denominator += weight
                weight *= self.k1 + 1
                weight /= denominator
                weight *= self.idf[term]
                # add.at takes the int32 ids as they are; fancy-index += first copies them to
                # int64 and then gathers and scatters, about twice the time.
                np.add.at(scores, docs, weight)
        return scores

    def top_k(self, term_ids: Sequence[int], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to k (doc indices, scores), best first, ties broken by lower index.

        Candidates are the documents containing at least one query term, whatever their
        score: in small corpora the epsilon floor makes idfs 0 or negative (with a single
        document every idf is), and a document that matches still beats one that does not.
        Scores can therefore be 0 or negative here.
        """
        used = self._used(term_ids)
        if k <= 0 or not used:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        scores = self.scores(used)
        if all(self.idf[term] > 0 for term in used):
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
            candidates = np.flatnonzero(matched)
        return self._best(candidates, scores[candidates], k)

    @staticmethod
    def _best(
        candidates: np.ndarray, cand_scores: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best of ascending `candidates`, best first, ties to the lower index."""
        if len(candidates) > _SAMPLE_STRIDE * 2 * k:
            # The k-th best of every 16th score is at most the k-th best of all: everything
            # below it goes in one cheap pass, leaving about 16k scores to select from.
            sample = cand_scores[::_SAMPLE_STRIDE]
            floor = np.partition(sample, len(sample) - k)[len(sample) - k]
            keep = np.flatnonzero(cand_scores >= floor)
            candidates, cand_scores = candidates[keep], cand_scores[keep]
        if len(candidates) > k:
            kth = np.partition(cand_scores, len(cand_scores) - k)[len(cand_scores) - k]
            keep = np.flatnonzero(cand_scores >= kth)
            if len(keep) > k:
                # Ties at the k-th score: argpartition would pick any of them, but the lowest
                # indices must win, and candidates are ascending.
                above = keep[cand_scores[keep] > kth]
                keep = np.concatenate((above, keep[cand_scores[keep] == kth][: k - len(above)]))
            candidates, cand_scores = candidates[keep], cand_scores[keep]
        order = np.lexsort((candidates, -cand_scores))
        return candidates[order], cand_scores[order]


__all__ = ["BM25"]
