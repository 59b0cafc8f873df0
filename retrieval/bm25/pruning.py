"""Exact top-k by MaxScore dynamic pruning, compiled with numba.

Most of a question's postings belong to common terms (folded syllables, pairs) whose whole
weight cannot lift a passage into the top k. Terms are taken in decreasing order of their
bound (idf times the largest weight their tf and shortest document allow under the
current statistics). While the bounds of the terms left add up to at least the k-th best
score so far, a term is scored over all its postings: a passage it alone holds could still
make the top k. After that, the remaining terms are only looked up (galloping through their
postings) in the passages already seen whose score plus the bounds left can still reach
the k-th, and passages that fall below it are dropped term by term.

A term's stored bound pairs its largest tf with its shortest document and holds under any
statistics; the first search that asks for the term also finds its exact largest weight
under the current ones (one pass over its postings, kept in the `Postings` while avgdl,
k1 and b stay), and later searches prune with that: a sixth fewer postings read.

Sums in that order differ from rank_bm25's (query order) in the last bits, so pruning
keeps a margin far above that error (`_SLACK`), and the survivors are scored again term by
term in query order with rank_bm25's operations: the scores returned are the doubles full
scoring gives, and ties go to the lower index as there.

The whole query runs in one compiled call (`kernel.search`: the terms' checks, counts,
bounds and order too; in Python they cost about 0.1 ms, a fifth of a search at 100k).
numba compiles the kernel (`kernel.py`) on first use and caches it on disk beside it
(seconds, once; then a fraction of a second per process, and about 120 MB of resident
memory, most of it llvmlite's shared library); it is imported only when an index part is
large enough to use it, so small indexes and `hoidap ask` on them never load it.
"""

import threading

import numpy as np

from retrieval.bm25.stats import CorpusStats

_kernel = None
_kernel_lock = threading.Lock()
_NOTHING_DELETED = np.zeros(0, dtype=np.bool_)


def get_kernel():  # type: ignore[no-untyped-def]
    """The compiled `kernel` module (imported, and numba with it, at first use)."""
    global _kernel
    with _kernel_lock:
        if _kernel is None:
            from retrieval.bm25 import kernel

            _kernel = kernel
        return _kernel


class Scratch(threading.local):
    """Per-thread scratch for one postings' documents: scores so far (`kernel.UNSEEN`
    between queries) beside the documents' norms, two float32 each (see `kernel`)."""

    def __init__(self) -> None:
        self.norms: np.ndarray | None = None
        self.acc = np.zeros(0, dtype=np.float32)
        self.heap_pos = np.zeros(0, dtype=np.int32)
        self.touched = np.zeros(0, dtype=np.int32)
        self.work = np.zeros(5, dtype=np.int64)

    def arrays(self, norms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.norms is not norms:
            n_docs = len(norms)
            if len(self.heap_pos) != n_docs:
                self.acc = np.empty(2 * n_docs, dtype=np.float32)
                self.acc[0::2] = get_kernel().UNSEEN
                self.heap_pos = np.full(n_docs, -1, dtype=np.int32)
                # One more than the documents: the kernel writes a document there before
                # it knows whether it is new.
                self.touched = np.empty(n_docs + 1, dtype=np.int32)
            self.acc[1::2] = norms
            self.norms = norms
        return self.acc, self.heap_pos, self.touched


def pruned_top_k(
    postings,  # type: ignore[no-untyped-def]
    query: np.ndarray,
    k: int,
    stats: CorpusStats,
    deleted: np.ndarray | None,
    scratch: Scratch,
    work: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The k best passages (best first, ties to the lower index) and their exact scores,
    or None when a query term's idf is not positive (pruning needs positive weights).
    Term ids outside the vocabulary are left out. `work` (5 int64) gets the postings read
    in passes, the lookups, the passages seen, the survivors and whether the heap's
    passages were scored in full to raise the floor, for measuring."""
    norms = postings.norms(stats)
    acc, heap_pos, touched = scratch.arrays(norms)
    if work is None:
        work = scratch.work
    docs, scores, ok = get_kernel().search(
        postings.term_ptr,
        postings.post_docs,
        postings.post_tf,
        norms,
        stats.idf,
        postings.term_max_tf,
        postings.term_min_len,
        stats.k1,
        stats.b,
        stats.avgdl,
        query,
        k,
        _NOTHING_DELETED if deleted is None else deleted,
        acc,
        heap_pos,
        touched,
        work,
        postings.largest_weights(stats),
    )
    return (docs, scores) if ok else None
