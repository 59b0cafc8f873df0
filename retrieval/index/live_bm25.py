"""BM25 over the segments of a live index with the whole corpus's statistics (see `live`):
each segment's postings score with the statistics of the live passages of all segments
(speed's `CorpusStats`), deleted passages score 0 and never match, and the best of each
part make the best of all."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from retrieval.bm25 import CorpusStats, Postings
from retrieval.index.model import offsets

if TYPE_CHECKING:
    from retrieval.index.live import Segment


@dataclass(frozen=True, eq=False)
class _SegmentStats(CorpusStats):
    """The whole corpus's statistics in one segment's term ids: `df` taken through the
    segment's map, and the corpus's idf (its epsilon floor averages over all the corpus's
    terms, not the segment's)."""

    corpus_idf: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def idf(self) -> np.ndarray:  # type: ignore[override]
        return self.corpus_idf


# Recent segments holding this many passages or fewer in all are scored as one part, its
# postings built in memory at each swap (a few hundred ms at most): searching 10 small
# segments one by one cost 1.65 times a merged index at 100k passages.
COMBINED = 50_000


def _combined(
    segments: Sequence["Segment"], maps: Sequence[np.ndarray], n_terms: int
) -> tuple[Postings, np.ndarray, np.ndarray | None, bool]:
    """Postings over the passages of `segments` in global term ids, the identity map and
    their deleted passages."""
    ptrs, ids = [], []
    for segment, m in zip(segments, maps, strict=True):
        index = segment.index
        # Passages are runs of sentences: the sentence term array is the passage CSR.
        ptr = np.asarray(index.sentence_term_ptr)[np.asarray(index.passage_sentence_ptr)]
        ptrs.append(np.diff(ptr))
        ids.append(m[np.asarray(index.sentence_term_ids)[ptr[0] : ptr[-1]]])
    postings = Postings.build(offsets(np.concatenate(ptrs)), np.concatenate(ids), n_terms)
    dead = [s.deleted_passages for s in segments]
    mask = None
    if any(d is not None for d in dead):
        mask = np.concatenate(
            [
                np.zeros(s.index.n_passages, bool) if d is None else d
                for s, d in zip(segments, dead, strict=True)
            ]
        )
    return postings, np.arange(n_terms, dtype=np.int64), mask, True


class SegmentedBM25:
    """BM25 over the segments' passages in segment order, read like `BM25` (`top_k`,
    `scores`, `idf`, `term_ptr`, `stats`): each segment's postings score with the
    statistics of the live passages of all segments, and deleted passages score 0 and
    never match. `term_ptr` gives each term's live passage count (its df) like a single
    index's postings bounds do."""

    def __init__(
        self,
        segments: Sequence["Segment"],
        maps: Sequence[np.ndarray],
        df: np.ndarray,
        k1: float,
        b: float,
        epsilon: float,
        corpus: CorpusStats | None = None,
    ) -> None:
        # `corpus`: statistics to score with instead of the segments' own (a shard of a
        # sharded index scores with the whole corpus's, see retrieval.cluster).
        if corpus is None:
            n_live = sum(s.live_passages for s in segments)
            total = sum(s.live_length for s in segments)
            corpus = CorpusStats(n_live, total, df, k1, b, epsilon)
        self.stats = corpus
        n_live, total, df = corpus.n_docs, corpus.total_length, corpus.df
        self.idf = self.stats.idf
        self.term_ptr = offsets(df)
        self.k1, self.b, self.epsilon = k1, b, epsilon
        # (postings, map of its term ids to global ones, deleted passages, map is identity)
        parts = [
            (s.index.bm25.postings, m, s.deleted_passages, i == 0)
            for i, (s, m) in enumerate(zip(segments, maps, strict=True))
        ]
        if len(parts) > 2 and sum(s.index.n_passages for s in segments[1:]) <= COMBINED:
            parts = [parts[0], _combined(segments[1:], maps[1:], len(df))]
        self._postings = [part[0] for part in parts]
        self._stats = [
            _SegmentStats(n_live, total, df[m], k1, b, epsilon, corpus_idf=self.idf[m])
            for _, m, _, _ in parts
        ]
        self._dead = [part[2] for part in parts]
        # Global ids to each part's own: its ids in ascending order of global id. Maps are
        # the identity where a part's ids are the global ones (the first segment, the
        # largest, and recent segments combined): no sort at every swap.
        self._orders = [m if same else np.argsort(m, kind="stable") for _, m, _, same in parts]
        self._sorted = [part[1][o] for part, o in zip(parts, self._orders, strict=True)]
        # Where a part's ids are the global ones: how many it has (else None).
        self._same = [len(part[1]) if part[3] else None for part in parts]
        self._bounds = offsets(np.array([p.n_docs for p in self._postings], dtype=np.int64))

    @property
    def n_docs(self) -> int:
        return int(self._bounds[-1])

    @property
    def n_terms(self) -> int:
        return len(self.idf)

    def _local(self, part: int, term_ids: Sequence[int]) -> list[int]:
        """`term_ids` (global) as the part's own ids, in order, leaving out those it lacks."""
        same = self._same[part]
        if same is not None:
            return [int(t) for t in term_ids if 0 <= t < same]
        found = self._sorted[part]
        if not len(found):
            return []
        ids = np.asarray(term_ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(found, ids), len(found) - 1)
        hit = found[at] == ids
        return self._orders[part][at[hit]].tolist()

    def scores(self, term_ids: Sequence[int]) -> np.ndarray:
        """Dense scores of every passage; a repeated query term counts once per occurrence."""
        return np.concatenate(
            [
                postings.scores(self._local(i, term_ids), self._stats[i], self._dead[i])
                for i, postings in enumerate(self._postings)
            ]
        )

    def top_k(self, term_ids: Sequence[int], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to k (passages, scores), best first, ties broken by lower index: the best of
        each segment's own best."""
        found, scores = [], []
        for i, postings in enumerate(self._postings):
            ptr = postings.term_ptr
            # Only the terms the part holds: a small recent part often holds none.
            local = [t for t in self._local(i, term_ids) if ptr[t + 1] > ptr[t]]
            if local:
                top, top_scores = postings.top_k(local, k, self._stats[i], self._dead[i])
                found.append(top + self._bounds[i])
                scores.append(top_scores)
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        if len(found) == 1:
            return found[0], scores[0]
        candidates, candidate_scores = np.concatenate(found), np.concatenate(scores)
        # At most k from each part: best first, ties to the lower global id.
        order = np.lexsort((candidates, -candidate_scores))[:k]
        return candidates[order], candidate_scores[order]
