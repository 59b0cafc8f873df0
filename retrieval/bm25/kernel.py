"""The compiled MaxScore kernel behind `pruning` (imported only when a search needs it,
because numba takes a few tenths of a second to import). Module-level functions, so that
numba caches their machine code on disk and later processes load it instead of compiling.

`acc` is each thread's scratch, two float32 per document: at 2d the score of document d so
far (`UNSEEN` while d is not, or no longer, a candidate), at 2d + 1 its norm (see
`CorpusStats.doc_norm`) rounded to float32. Both in one cache line halve the memory a
posting touches (12% faster at 1M passages than float64 scores and norms apart). In the
passes, weights are computed and summed in float32: that only decides which passages
survive, and the survivors are scored again in float64 from the exact norms.

Unseen is a large negative number rather than 0 so that a pass adds to every posting's
passage without asking whether it is a candidate: `UNSEEN` plus any weight stays `UNSEEN`
(it is 1e30; a weight is under 1e3, far below the float32 spacing there, 7.6e22), and
never reaches the k-th score. Asking, even written as a select, compiled to a branch that
mispredicts on about every other posting: the passes of long questions took 7-8 ns a
posting, 2 without it (float32 arithmetic and unsigned indices, which spare numba's
negative-index check, give the rest).

The kernel stays one module, longer than the others: numba's on-disk cache is checked
against the caching function's own file only ("changes in functions defined in a
different file" go unnoticed, numba's caching limitations), so helpers split into other
modules could leave stale machine code in use after they are edited."""

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

# Pruning keeps passages whose bound is within this (relative) margin below the k-th
# score. A float32 weight is within 5 roundings (3e-7, relative) of the exact one, and a
# float32 sum of m positive weights within another (m - 1) * 6e-8: for questions of up to
# 50 terms the margin is thirty times the largest error; longer ones get a wider margin
# (`_SLACK_PER_TERM` each), which keeps it well above the error.
_SLACK = 1e-4
_SLACK_PER_TERM = 1e-6
# The heap's passages are scored over every term (to raise the floor of the k-th best)
# once the bounds of the terms left fall below this many times the k-th score so far:
# earlier (3x) the heap's passages are less often the best, and that was slower.
_SEED_AT = 1.5
# A lookup by galloping costs about this many postings read in one pass.
_GALLOP_COST = 4.0
# A float64 rounded to float32 is within this factor of it.
_FLOAT32_UP = 1.0 + 1e-6

# Passes ask the cache for the scratch of the passage this many postings ahead: between
# questions other work evicts the scratch (800 KB at 100k passages), and its lines are
# then read at random, one miss after another (a twentieth faster at 100k when the caches
# start cold; 8 to 128 ahead were measured, 32 to 128 alike).
_PREFETCH_AHEAD = 64
# A passage not (or no longer) a candidate: see the module.
UNSEEN = np.float32(-1e30)


@intrinsic
def prefetch(typingctx, array, index):  # type: ignore[no-untyped-def]
    """Ask the cache for array[index] (LLVM's prefetch: for reading, kept in all levels);
    it never faults, so any index will do."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        kind = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        function = cgutils.get_or_insert_function(builder.module, kind, "llvm.prefetch.p0i8")
        address = builder.bitcast(builder.gep(data, [args[1]]), i8p)
        builder.call(function, [address, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen


_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@_jit
def weight(tf, norm, idf, k1):  # type: ignore[no-untyped-def]
    # rank_bm25's operations in its order: the same double as full scoring.
    return tf * (k1 + 1) / (norm + tf) * idf


@_jit
def bound(idf, max_tf, min_len, k1, b, avgdl):  # type: ignore[no-untyped-def]
    """A term's largest possible weight under the statistics (idf, k1, b, avgdl), from its
    stored largest tf and shortest document: a weight grows with tf and shrinks with the
    document's length, and the norm is computed as `CorpusStats.doc_norm` does."""
    tf = np.float64(max_tf)
    norm = k1 * (1 - b + b * np.float64(min_len) / avgdl)
    return idf * (tf * (k1 + 1) / (norm + tf))


@_jit
def largest_weight(term_ptr, post_docs, post_tf, norms, k1, t):  # type: ignore[no-untyped-def]
    """The largest weight (without idf) of term t's postings, as a float32 no smaller: the
    stored bound pairs the largest tf with the shortest document, which few postings
    have, and is about a seventh too high (median of a question's terms); the exact
    largest one prunes a sixth more. One pass over the postings, once per term."""
    m = 0.0
    for p in range(term_ptr[t], term_ptr[t + 1]):
        tf = np.float64(post_tf[p])
        m = max(m, tf * (k1 + 1) / (norms[post_docs[p]] + tf))
    return np.float32(m * _FLOAT32_UP)


@_jit
def add_weight(acc, d, tf, scale):  # type: ignore[no-untyped-def]
    """Add the weight of a posting of tf in passage d (its norm beside its score) to the
    passage's score, in float32; return the new score."""
    tf = np.float32(tf)
    a = acc[2 * d] + tf * scale / (acc[2 * d + 1] + tf)
    acc[2 * d] = a
    return a


@_jit
def sift_down(heap_doc, heap_pos, acc, size, i):  # type: ignore[no-untyped-def]
    # A min-heap of the k best accumulators so far (ties: either order is fine, only
    # the minimum's value is used).
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and acc[2 * (heap_doc[left + 1])] < acc[2 * (heap_doc[left])]:
            child = left + 1
        if acc[2 * (heap_doc[child])] >= acc[2 * (heap_doc[i])]:
            break
        a, b = heap_doc[i], heap_doc[child]
        heap_doc[i], heap_doc[child] = b, a
        heap_pos[b], heap_pos[a] = i, child
        i = child


@_jit
def offer(heap_doc, heap_pos, acc, size, k, d):  # type: ignore[no-untyped-def]
    """Keep the heap the k best after acc[2 * d] grew; returns the new size."""
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
            if acc[2 * (heap_doc[parent])] <= acc[2 * (heap_doc[i])]:
                break
            a, b = heap_doc[i], heap_doc[parent]
            heap_doc[i], heap_doc[parent] = b, a
            heap_pos[b], heap_pos[a] = i, parent
            i = parent
        return size
    if acc[2 * d] > acc[2 * (heap_doc[0])]:
        heap_pos[heap_doc[0]] = -1
        heap_doc[0] = d
        heap_pos[d] = 0
        sift_down(heap_doc, heap_pos, acc, size, 0)
    return size


@_jit
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


@_jit
def find_each(post_docs, lo, hi, docs, m, at):  # type: ignore[no-untyped-def]
    """at[i] = the position in lo .. hi - 1 holding docs[i], or -1: m binary searches in
    step, so that their cache misses overlap (one search's steps depend on each other)."""
    n = hi - lo
    for i in range(m):
        at[i] = lo
    while n > 1:
        half = n // 2
        for i in range(m):
            b = at[i]
            at[i] = b + half if post_docs[b + half] <= docs[i] else b
        n -= half
    for i in range(m):
        if n == 0 or post_docs[at[i]] != docs[i]:
            at[i] = -1


@_jit
def heap_floor(  # type: ignore[no-untyped-def]
    heap_doc, size, acc, term_ptr, post_docs, post_tf, idf, counts, terms, first, k1_1
):
    """The least of the heap's passages' whole scores (in float32, as the passes sum them):
    their scores so far plus the weights of terms[first:], looked up. Those k passages
    score at least that much, so the k-th best score does too."""
    docs = np.sort(heap_doc[:size])
    total = np.empty(size)
    at = np.empty(size, dtype=np.int64)
    for i in range(size):
        total[i] = acc[2 * docs[i]]
    for j in range(first, len(terms)):
        t = terms[j]
        scale = np.float32(idf[t] * counts[j] * k1_1)
        find_each(post_docs, term_ptr[t], term_ptr[t + 1], docs, size, at)
        for i in range(size):
            if at[i] >= 0:
                tf = np.float32(post_tf[at[i]])
                total[i] += tf * scale / (acc[2 * docs[i] + 1] + tf)
    return total.min()


@_jit
def compact(candidates, kept, acc, rest, floor, theta):  # type: ignore[no-untyped-def]
    """Keep in candidates[:kept] (in order) the passages whose score so far plus `rest`,
    the bounds of the terms left, can still reach `floor`, and those in the heap (at least
    its k-th, `theta`: the floor can be above it); mark the others unseen. Written without
    branches: about half go either way, so a branch would mispredict."""
    alive = 0
    for i in range(kept):
        d = candidates[i]
        a = acc[2 * d]
        keep = (np.float64(a) + rest >= floor) | (a >= theta)
        candidates[alive] = d
        alive += keep
        acc[2 * d] = a if keep else UNSEEN
    return alive


@_jit
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
    slack,
):
    n = len(terms)
    rest = np.zeros(n + 1)
    for i in range(n - 1, -1, -1):
        rest[i] = rest[i + 1] + bounds[i]
    heap_doc = np.empty(k, dtype=np.int64)
    size = 0
    seen = 0
    # The k-th score so far (of the accumulators, in float32): -inf until k are seen.
    theta = np.float32(-np.inf)
    skip = len(deleted) > 0
    k1_1 = k1 + 1
    last = len(post_docs) - 1
    # The k-th best score is at least `lower`: theta, or the heap's passages' whole
    # scores once they are looked up (see below).
    lower = -np.inf
    seeded = False
    # Terms scored over all their postings, while a passage holding none of the terms
    # so far could still reach the k best.
    essential = 0
    while essential < n:
        if size == k:
            if not seeded and rest[essential] < _SEED_AT * theta:
                # theta, the k-th of partial scores, is then about 0.6 of the final k-th
                # (median at 100k), and the heap's passages' whole scores about 0.99:
                # fewer terms are essential and fewer candidates survive (0.8x the time
                # at 1M passages, 0.95x at 100k), for k lookups a term left.
                lower = heap_floor(
                    heap_doc,
                    size,
                    acc,
                    term_ptr,
                    post_docs,
                    post_tf,
                    idf,
                    counts,
                    terms,
                    essential,
                    k1_1,
                )
                seeded = True
                work[1] += size * (n - essential)
                work[4] = 1
            lower = max(lower, np.float64(theta))
            if rest[essential] < lower - slack * max(1.0, abs(lower)):
                break
        t = terms[essential]
        # tf * (k1 + 1) / (norm + tf) * idf * count, the constant factors taken together.
        scale = np.float32(idf[t] * counts[essential] * k1_1)
        for p in range(term_ptr[t], term_ptr[t + 1]):
            prefetch(acc, 2 * np.uint64(post_docs[min(p + _PREFETCH_AHEAD, last)]))
            d = np.uint64(post_docs[p])
            if skip and deleted[d]:
                continue
            # Noted without a branch (touched has room for one more): a branch here
            # mispredicts about every other posting once a few terms are scored.
            a = acc[2 * d]
            touched[seen] = d
            seen += a < 0.0
            tf = np.float32(post_tf[p])
            a = max(a, np.float32(0.0)) + tf * scale / (acc[2 * d + 1] + tf)
            acc[2 * d] = a
            # Adding a weight and offering the passage to the heap is written out in each of
            # its loops: as a function returning (size, theta), even inlined, it made the
            # kernel 2.4x slower. The heap is touched only for passages above its k-th.
            if a >= theta:
                size = offer(heap_doc, heap_pos, acc, size, k, np.int64(d))
                if size == k:
                    theta = acc[2 * (heap_doc[0])]
        work[0] += term_ptr[t + 1] - term_ptr[t]
        essential += 1
    # The passages seen that can still reach the k best stay in `touched` (its first
    # `kept`); the others are marked unseen again. From here on the heap is full.
    candidates = touched
    lower = max(lower, np.float64(theta))
    kept = compact(
        candidates, seen, acc, rest[essential], lower - slack * max(1.0, abs(lower)), theta
    )
    ascending = False
    for j in range(essential, n):
        t = terms[j]
        scale = np.float32(idf[t] * counts[j] * k1_1)
        p, stop = term_ptr[t], term_ptr[t + 1]
        if kept <= stop - p:
            # Dropping those that can no longer make it costs less than the pass they may
            # spare; before a pass it is not needed (a pass adds to candidates only).
            lower = max(lower, np.float64(theta))
            floor = lower - slack * max(1.0, abs(lower))
            kept = compact(candidates, kept, acc, rest[j], floor, theta)
        if kept * (2.0 + np.log2(1.0 + (stop - p) / max(kept, 1))) * _GALLOP_COST < stop - p:
            # Few candidates: look each up.
            work[1] += kept
            if not ascending:
                # Sorted once; compacting keeps the order.
                candidates[:kept] = np.sort(candidates[:kept])
                ascending = True
            for i in range(kept):
                d = candidates[i]
                p = find(post_docs, p, stop, d)
                if p < stop and post_docs[p] == d:
                    a = add_weight(acc, d, post_tf[p], scale)
                    if a >= theta:
                        size = offer(heap_doc, heap_pos, acc, size, k, np.int64(d))
                        theta = acc[2 * (heap_doc[0])]
        else:
            # Many: one pass over the postings is cheaper. The weight is added to every
            # posting's passage: unseen ones stay unseen (see the module).
            work[0] += stop - p
            for q in range(p, stop):
                prefetch(acc, 2 * np.uint64(post_docs[min(q + _PREFETCH_AHEAD, last)]))
                d = np.uint64(post_docs[q])
                if add_weight(acc, d, post_tf[q], scale) >= theta:
                    size = offer(heap_doc, heap_pos, acc, size, k, np.int64(d))
                    theta = acc[2 * (heap_doc[0])]
    # Clean the scratch arrays for the next query: only candidates are seen now.
    for i in range(size):
        heap_pos[heap_doc[i]] = -1
    lower = max(lower, np.float64(theta))
    floor = lower - slack * max(1.0, abs(lower))
    survivors = np.empty(kept, dtype=np.int64)
    n_survivors = 0
    for i in range(kept):
        d = candidates[i]
        if acc[2 * d] >= floor:
            survivors[n_survivors] = d
            n_survivors += 1
        acc[2 * d] = UNSEEN
    survivors = np.sort(survivors[:n_survivors])
    # Exact scores of the survivors: query order, rank_bm25's operations.
    exact = np.zeros(n_survivors)
    at = np.empty(n_survivors, dtype=np.int64)
    for t in query:
        find_each(post_docs, term_ptr[t], term_ptr[t + 1], survivors, n_survivors, at)
        for i in range(n_survivors):
            if at[i] >= 0:
                exact[i] += weight(np.float64(post_tf[at[i]]), norms[survivors[i]], idf[t], k1)
    work[2] = seen
    work[3] = n_survivors
    # Best first, ties to the lower index (survivors are ascending; the sort is stable).
    order = np.argsort(-exact, kind="mergesort")[:k]
    return survivors[order], exact[order]


@_jit
def search(  # type: ignore[no-untyped-def]
    term_ptr,
    post_docs,
    post_tf,
    norms,
    idf,
    max_tf,
    min_len,
    k1,
    b,
    avgdl,
    raw_query,
    k,
    deleted,
    acc,
    heap_pos,
    touched,
    work,
    largest,
):
    """The k best documents for `raw_query` (term ids; those outside the vocabulary are
    left out) and their exact scores, best first, ties to the lower index. `ok` is False,
    with nothing found, when a term's idf is not positive: pruning needs every weight
    positive, and the caller then scores in full. `largest` (float32, a term's largest
    weight without idf under these statistics; 0 while unknown) is filled for the terms
    asked here."""
    work[:] = 0
    n_valid = min(len(term_ptr) - 1, len(idf))
    query = np.empty(len(raw_query), dtype=np.int64)
    m = 0
    for t in raw_query:
        if 0 <= t < n_valid:
            if idf[t] <= 0.0:
                return np.empty(0, dtype=np.int64), np.empty(0), False
            query[m] = t
            m += 1
    query = query[:m]
    if m == 0 or k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0), True
    # Distinct terms, each counted as often as it occurs, in decreasing order of bound:
    # idf times the largest weight its largest tf and shortest document allow.
    ascending = np.sort(query)
    terms = np.empty(m, dtype=np.int64)
    counts = np.zeros(m)
    n = 0
    for i in range(m):
        if i == 0 or ascending[i] != ascending[i - 1]:
            terms[n] = ascending[i]
            n += 1
        counts[n - 1] += 1.0
    bounds = np.empty(n)
    for i in range(n):
        t = terms[i]
        stored = bound(idf[t], max_tf[t], min_len[t], k1, b, avgdl)
        if largest[t] == 0.0 and term_ptr[t + 1] > term_ptr[t]:
            largest[t] = largest_weight(term_ptr, post_docs, post_tf, norms, k1, t)
        bounds[i] = min(stored, idf[t] * (np.float64(largest[t]) * _FLOAT32_UP)) * counts[i]
    order = np.argsort(-bounds[:n], kind="mergesort")
    docs, scores = top_k(
        term_ptr,
        post_docs,
        post_tf,
        norms,
        idf,
        k1,
        terms[order],
        counts[order],
        bounds[order],
        query,
        k,
        deleted,
        acc,
        heap_pos,
        touched,
        work,
        max(_SLACK, _SLACK_PER_TERM * m),
    )
    return docs, scores, True
