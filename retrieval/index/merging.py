"""When and how segments are merged.

The policy keeps searching fast and the bytes rewritten per added document bounded:
- recent segments (all but the first, the base) are merged into one when there are more
  than `MAX_RECENT` of them, so a search never walks more than MAX_RECENT + 1 segments;
- everything is merged into a new base when the recent segments hold more than
  `RECENT_SHARE` of the base's passages, or deleted documents more than `DELETED_SHARE`
  of it. A base of P passages is then rewritten once per P * RECENT_SHARE passages added:
  each added passage costs about 1 / RECENT_SHARE passages of merging, whatever the size.

A merge joins the live documents of contiguous segments as they are (sentences, term
ids), without reading or segmenting anything again; the result is the segment a build of
the same documents, in the same order, gives.
"""

from pathlib import Path

import numpy as np

from retrieval.index.build import index_of_rows
from retrieval.index.forked import NICENESS, in_forked_child
from retrieval.index.live import LiveIndex, LiveVocabulary
from retrieval.index.model import Index
from retrieval.index.reading import default_workers
from retrieval.index.rows import Rows, first_occurrence_vocab, index_rows, join_runs
from retrieval.index.segments import write_segment

MAX_RECENT = 10
RECENT_SHARE = 0.1
DELETED_SHARE = 0.25


def merge_plan(index: LiveIndex) -> list[int]:
    """Positions of the contiguous segments of `index` to merge now; empty for none."""
    segments = index.segments
    base, recent = segments[0], segments[1:]
    base_passages = max(base.index.n_passages, 1)
    recent_passages = sum(s.index.n_passages for s in recent)
    deleted = sum(s.index.n_passages - s.live_passages for s in segments)
    if recent and (
        recent_passages > RECENT_SHARE * base_passages
        or deleted > DELETED_SHARE * (base_passages + recent_passages)
    ):
        return list(range(len(segments)))
    if len(recent) > MAX_RECENT:
        return list(range(1, len(segments)))
    if not recent and len(base.deleted) and deleted > DELETED_SHARE * base_passages:
        return [0]
    return []


def _live_runs(rows: Rows, deleted: np.ndarray) -> list[tuple[Rows, int, int]]:
    """(rows, first, last) for each run of consecutive live documents."""
    alive = np.ones(len(rows.documents), dtype=bool)
    alive[deleted] = False
    edges = np.flatnonzero(np.diff(np.concatenate(([0], alive.astype(np.int8), [0]))))
    return [(rows, int(lo), int(hi)) for lo, hi in zip(edges[::2], edges[1::2], strict=True)]


def merge_segments(
    index: LiveIndex, positions: list[int], workers: int | None = None
) -> tuple[Index, list[np.ndarray]]:
    """The segment holding the live documents of `index.segments[positions]`, in order,
    and for each of those segments the ids of its documents it took, in order."""
    runs: list[tuple[Rows, int, int]] = []
    kept: list[np.ndarray] = []
    for position in positions:
        segment = index.segments[position]
        rows = index_rows(segment.index)
        # Term ids made global, so that the segments' rows share one numbering.
        rows.term_ids = index.maps[position].astype(np.int32)[np.asarray(rows.term_ids)]
        runs += _live_runs(rows, segment.deleted)
        alive = np.ones(len(rows.documents), dtype=bool)
        alive[segment.deleted] = False
        kept.append(np.flatnonzero(alive))
    rows = join_runs(runs)
    terms = index.vocab.terms() if isinstance(index.vocab, LiveVocabulary) else list(index.vocab)
    vocab = first_occurrence_vocab(rows, terms)
    merged = index_of_rows(
        rows, vocab, "", index.passage_sentences, None, workers or default_workers()
    )
    return merged, kept


def _merge_and_write(
    index: LiveIndex, positions: list[int], workers: int | None, folder: Path, name: str
) -> list[np.ndarray]:
    merged, kept = merge_segments(index, positions, workers)
    write_segment(folder, merged, name)
    return kept


def merge_in_child(
    index: LiveIndex, positions: list[int], workers: int | None, folder: Path, name: str
) -> list[np.ndarray]:
    """`merge_segments`, written as segment `name` of `folder`, in a forked process: a
    merge is minutes of work at a million passages, partly in Python, and in the serving
    process it would hold Python's lock away from the questions being answered. It runs
    at a lower priority (`forked.NICENESS`), so it takes the cores questions leave idle."""
    return in_forked_child(
        _merge_and_write, index, positions, workers, folder, name, niceness=NICENESS
    )
