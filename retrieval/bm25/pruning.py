"""Exact top-k by MaxScore dynamic pruning, compiled with numba.

Most of a question's postings belong to common terms (folded syllables, pairs) whose whole
weight cannot lift a passage into the top k. Terms are taken in decreasing order of their
bound (idf times the largest weight their tf and shortest document allow under the
current statistics). While the bounds of the terms left add up to at least the k-th best
score so far, a term is scored over all its postings: a passage it alone holds could still
make the top k. After that, the remaining terms are only looked up (galloping through their
postings) in the passages already seen whose score plus the bounds left can still reach
the k-th, and passages that fall below it are dropped term by term.

Sums in that order differ from rank_bm25's (query order) in the last bits, so pruning
keeps a margin far above that error (`_SLACK`), and the survivors are scored again term by
term in query order with rank_bm25's operations: the scores returned are the doubles full
scoring gives, and ties go to the lower index as there.

numba compiles the kernel on first use and caches it on disk (a second or two once, tens of
milliseconds per process afterwards); it is imported only when an index part is large enough to
use it, so small indexes and `hoidap ask` on them never load it.
"""

import threading

import numpy as np

from retrieval.bm25.stats import CorpusStats

# Pruning keeps passages whose bound is within this (relative) margin below the k-th
# score: the sums in another order differ by about 1e-15 relative.
_SLACK = 1e-9
# A lookup by galloping costs about this many postings read in one pass.
_GALLOP_COST = 4.0

_kernel = None
_kernel_lock = threading.Lock()


def _compile():  # type: ignore[no-untyped-def]
    import numba

    def jit(function):  # type: ignore[no-untyped-def]
        try:
            return numba.njit(cache=True, nogil=True, error_model="numpy")(function)
        except RuntimeError:
            # No writable cache directory: compile in each process instead.
            return numba.njit(nogil=True, error_model="numpy")(function)

    @jit
    def weight(tf, norm, idf, k1):  # type: ignore[no-untyped-def]
        # rank_bm25's operations in its order: the same double as full scoring.
        return tf * (k1 + 1) / (norm + tf) * idf

    @jit
    def sift_down(heap_doc, heap_pos, acc, size, i):  # type: ignore[no-untyped-def]
        # A min-heap of the k best accumulators so far (ties: either order is fine, only
        # the minimum's value is used).
        while True:
            left = 2 * i + 1
            if left >= size:
                break
            child = left
            if left + 1 < size and acc[heap_doc[left + 1]] < acc[heap_doc[left]]:
                child = left + 1
            if acc[heap_doc[child]] >= acc[heap_doc[i]]:
                break
            a, b = heap_doc[i], heap_doc[child]
            heap_doc[i], heap_doc[child] = b, a
            heap_pos[b], heap_pos[a] = i, child
            i = child

    @jit
    def offer(heap_doc, heap_pos, acc, size, k, d):  # type: ignore[no-untyped-def]
        """Keep the heap the k best after acc[d] grew; returns the new size."""
        if heap_pos[d] >= 0:
            sift_down(heap_doc, heap_pos, acc, size, heap_pos[d])
            return size
        if size < k:
            i = size
            heap_doc[i] = d
            heap_pos[d] = i
            size += 1
            while i > 0:
                parent = (i - 1) // 2
                if acc[heap_doc[parent]] <= acc[heap_doc[i]]:
                    break
                a, b = heap_doc[i], heap_doc[parent]
                heap_doc[i], heap_doc[parent] = b, a
                heap_pos[b], heap_pos[a] = i, parent
                i = parent
            return size
        if acc[d] > acc[heap_doc[0]]:
            heap_pos[heap_doc[0]] = -1
            heap_doc[0] = d
            heap_pos[d] = 0
            sift_down(heap_doc, heap_pos, acc, size, 0)
        return size

    @jit
    def find(post_docs, lo, hi, d):  # type: ignore[no-untyped-def]
        """First position in lo .. hi - 1 whose doc is >= d (galloping from lo)."""
        step = 1
        while lo + step < hi and post_docs[lo + step] < d:
            lo += step
            step *= 2
        top = min(lo + step, hi)
        while lo < top:
            mid = (lo + top) // 2
            if post_docs[mid] < d:
                lo = mid + 1
            else:
                top = mid
        return lo

    @jit
    def top_k(  # type: ignore[no-untyped-def]
        term_ptr,
        post_docs,
        post_tf,
        norms,
        idf,
        k1,
        terms,
        counts,
        bounds,
        query,
        k,
        deleted,
        acc,
        heap_pos,
        touched,
        work,
    ):
        n = len(terms)
        rest = np.zeros(n + 1)
        for i in range(n - 1, -1, -1):
            rest[i] = rest[i + 1] + bounds[i]
        heap_doc = np.empty(k, dtype=np.int64)
        size = 0
        seen = 0
        theta = -np.inf
        skip = len(deleted) > 0
        # Terms scored over all their postings, while a passage holding none of the terms
        # so far could still reach the k best.
        essential = 0
        while essential < n:
            if size == k and rest[essential] < theta - _SLACK * max(1.0, abs(theta)):
                break
            t = terms[essential]
            scale = idf[t] * counts[essential]
            for p in range(term_ptr[t], term_ptr[t + 1]):
                d = post_docs[p]
                if skip and deleted[d]:
                    continue
                if acc[d] == 0.0:
                    touched[seen] = d
                    seen += 1
                tf = np.float64(post_tf[p])
                acc[d] += tf * (k1 + 1) / (norms[d] + tf) * scale
                if acc[d] >= theta:
                    size = offer(heap_doc, heap_pos, acc, size, k, d)
                    if size == k:
                        theta = acc[heap_doc[0]]
            work[0] += term_ptr[t + 1] - term_ptr[t]
            essential += 1
        margin = _SLACK * max(1.0, abs(theta))
        # The passages seen that can still reach the k best; the others are set back to 0,
        # which marks them as out. They are sorted only once few enough to be looked up.
        candidates = np.empty(seen, dtype=np.int64)
        kept = 0
        for i in range(seen):
            d = touched[i]
            if acc[d] + rest[essential] >= theta - margin:
                candidates[kept] = d
                kept += 1
            else:
                acc[d] = 0.0
        ascending = False
        for j in range(essential, n):
            margin = _SLACK * max(1.0, abs(theta))
            alive = 0
            for i in range(kept):
                d = candidates[i]
                if acc[d] + rest[j] < theta - margin:
                    acc[d] = 0.0
                else:
                    candidates[alive] = d
                    alive += 1
            kept = alive
            t = terms[j]
            scale = idf[t] * counts[j]
            p, stop = term_ptr[t], term_ptr[t + 1]
            if kept * (2.0 + np.log2(1.0 + (stop - p) / max(kept, 1))) * _GALLOP_COST < stop - p:
                # Few candidates: look each up.
                work[1] += kept
                if not ascending:
                    candidates[:kept] = np.sort(candidates[:kept])
                    ascending = True
                for i in range(kept):
                    d = candidates[i]
                    p = find(post_docs, p, stop, d)
                    if p < stop and post_docs[p] == d:
                        tf = np.float64(post_tf[p])
                        acc[d] += tf * (k1 + 1) / (norms[d] + tf) * scale
                        if acc[d] >= theta:
                            size = offer(heap_doc, heap_pos, acc, size, k, d)
                            if size == k:
                                theta = acc[heap_doc[0]]
            else:
                # Many: one pass over the postings is cheaper; only candidates are above 0.
                work[0] += stop - p
                for q in range(p, stop):
                    d = post_docs[q]
                    if acc[d] > 0.0:
                        tf = np.float64(post_tf[q])
                        acc[d] += tf * (k1 + 1) / (norms[d] + tf) * scale
                        if acc[d] >= theta:
                            size = offer(heap_doc, heap_pos, acc, size, k, d)
                            if size == k:
                                theta = acc[heap_doc[0]]
        # Clean the scratch arrays for the next query.
        for i in range(size):
            heap_pos[heap_doc[i]] = -1
        margin = _SLACK * max(1.0, abs(theta))
        survivors = np.empty(kept, dtype=np.int64)
        n_survivors = 0
        for i in range(kept):
            d = candidates[i]
            if acc[d] >= theta - margin:
                survivors[n_survivors] = d
                n_survivors += 1
        for i in range(seen):
            acc[touched[i]] = 0.0
        survivors = np.sort(survivors[:n_survivors])
        # Exact scores of the survivors: query order, rank_bm25's operations.
        exact = np.zeros(n_survivors)
        for t in query:
            p, hi = term_ptr[t], term_ptr[t + 1]
            for i in range(n_survivors):
                d = survivors[i]
                p = find(post_docs, p, hi, d)
                if p < hi and post_docs[p] == d:
                    exact[i] += weight(np.float64(post_tf[p]), norms[d], idf[t], k1)
        work[2] = seen
        work[3] = n_survivors
        # Best first, ties to the lower index (survivors are ascending; the sort is stable).
        order = np.argsort(-exact, kind="mergesort")[:k]
        return survivors[order], exact[order]

    return top_k


def _get_kernel():  # type: ignore[no-untyped-def]
    global _kernel
    with _kernel_lock:
        if _kernel is None:
            _kernel = _compile()
        return _kernel


class Scratch(threading.local):
    """Per-thread accumulators (zero between queries) for one postings' documents."""

    def __init__(self) -> None:
        self.n_docs = -1
        self.acc = np.zeros(0)
        self.heap_pos = np.zeros(0, dtype=np.int32)
        self.touched = np.zeros(0, dtype=np.int32)

    def arrays(self, n_docs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.n_docs != n_docs:
            self.acc = np.zeros(n_docs)
            self.heap_pos = np.full(n_docs, -1, dtype=np.int32)
            self.touched = np.empty(n_docs, dtype=np.int32)
            self.n_docs = n_docs
        return self.acc, self.heap_pos, self.touched


def term_bounds_now(
    max_tf: np.ndarray, min_len: np.ndarray, idf: np.ndarray, stats: CorpusStats
) -> np.ndarray:
    """Each term's largest possible weight under `stats`, from its stored largest tf and
    shortest document (a weight grows with tf and shrinks with length)."""
    tf = max_tf.astype(np.float64)
    return idf * (tf * (stats.k1 + 1) / (stats.doc_norm(min_len) + tf))


def pruned_top_k(
    postings,  # type: ignore[no-untyped-def]
    query: np.ndarray,
    k: int,
    stats: CorpusStats,
    deleted: np.ndarray | None,
    scratch: Scratch,
    work: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The k best passages (best first, ties to the lower index) and their exact scores.
    Every query term must have a positive idf. `work` (4 int64) gets the postings read in
    passes, the lookups, the passages seen and the survivors, for measuring."""
    terms, counts = np.unique(query, return_counts=True)
    idf = stats.idf
    bounds = term_bounds_now(
        postings.term_max_tf[terms], postings.term_min_len[terms], idf[terms], stats
    )
    bounds *= counts
    order = np.argsort(-bounds, kind="stable")
    acc, heap_pos, touched = scratch.arrays(postings.n_docs)
    return _get_kernel()(
        postings.term_ptr,
        postings.post_docs,
        postings.post_tf,
        postings.norms(stats),
        idf,
        stats.k1,
        terms[order],
        counts[order].astype(np.float64),
        bounds[order],
        query,
        k,
        deleted if deleted is not None else np.zeros(0, dtype=np.bool_),
        acc,
        heap_pos,
        touched,
        np.zeros(4, dtype=np.int64) if work is None else work,
    )
