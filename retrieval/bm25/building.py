"""Building term-major postings from documents' token ids: one sort of (term, doc) keys."""

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np

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


def build_postings(
    ptr: np.ndarray, ids: np.ndarray, n_terms: int, threads: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Postings of documents given as CSR token ids (document d is `ids[ptr[d]:ptr[d+1]]`):
    (term_ptr, post_docs, post_tf, doc_len). The sort at their heart, and the postings made
    from it, run in `threads` threads."""
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
        inner = np.linspace(0, len(keys), threads + 1).astype(np.int64)[1:-1] if len(keys) else []
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
    # The type follows the data, so no tf is ever clipped.
    post_tf = tf.astype(np.min_scalar_type(int(tf.max()) if len(tf) else 0))
    return term_ptr, post_docs, post_tf, doc_len.astype(np.int32)


def term_bounds(
    term_ptr: np.ndarray, post_docs: np.ndarray, post_tf: np.ndarray, doc_len: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each term's largest tf and the length of its shortest document (0, 0 for terms
    without postings). A posting's weight grows with its tf and shrinks with its document's
    length whatever the corpus statistics, so these two bound every weight of the term
    under any statistics: the bounds stay valid when segments or shards join a corpus."""
    n_terms = len(term_ptr) - 1
    max_tf = np.zeros(n_terms, dtype=post_tf.dtype)
    min_len = np.zeros(n_terms, dtype=np.int32)
    used = np.flatnonzero(np.diff(term_ptr) > 0)
    if len(used):
        starts = term_ptr[used]
        max_tf[used] = np.maximum.reduceat(post_tf, starts)
        for lo in range(0, len(used), _DOC_BLOCK):
            # A block of terms at a time, so that the lengths gathered stay small.
            terms = used[lo : lo + _DOC_BLOCK]
            first, last = int(term_ptr[terms[0]]), int(term_ptr[terms[-1] + 1])
            lengths = doc_len[post_docs[first:last]]
            min_len[terms] = np.minimum.reduceat(lengths, term_ptr[terms] - first)
    return max_tf, min_len
