"""A live index: immutable segments and their deletions, seen as one `Index`.

Each segment is an index of some documents, built once and never changed (see `segments`
for the folder they live in). A changed or removed document is only marked deleted in its
segment; new ones go into new segments; merging (see `merging`) rewrites a few segments as
one. The view below presents the segments with global ids (documents, sentences and
passages in segment order, terms numbered over all segments), so the answerer reads it
like any index, and with the whole corpus's statistics: BM25 scores over the live
passages are exactly rank_bm25's over the union, as if the index were built in one piece.
"""

import bisect
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

import numpy as np

from retrieval.documents import Document
from retrieval.index.build import idf_over_documents
from retrieval.index.concat import ConcatArray, ConcatSequence, concat_offsets
from retrieval.index.live_bm25 import SegmentedBM25
from retrieval.index.model import PIPELINE_VERSION, Index, LazySequence


def _spans(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All positions of the ranges [starts[i], ends[i]) and the range each belongs to."""
    lengths = ends - starts
    owner = np.repeat(np.arange(len(starts), dtype=np.int64), lengths)
    positions = np.arange(int(lengths.sum()), dtype=np.int64)
    positions += np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return positions, owner


def _holders(index: Index, sentence_lo: np.ndarray, sentence_hi: np.ndarray) -> np.ndarray:
    """How many of the sentence ranges hold each term of `index` (each range counts once)."""
    ptr = index.sentence_term_ptr
    positions, owner = _spans(np.asarray(ptr[sentence_lo]), np.asarray(ptr[sentence_hi]))
    n_terms = len(index.vocab)
    pairs = np.unique(owner * n_terms + np.asarray(index.sentence_term_ids[positions]))
    return np.bincount(pairs % n_terms, minlength=n_terms)


@dataclass(eq=False)
class Segment:
    """A stored segment (`name` is its folder) with the ascending ids of its deleted
    documents in the file `deletions` (None: none deleted)."""

    name: str
    index: Index
    deleted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    deletions: str | None = None

    @property
    def passage_lengths(self) -> np.ndarray:
        return self.index.bm25.postings.doc_len

    @cached_property
    def deleted_passages(self) -> np.ndarray | None:
        """Which passages belong to deleted documents; None when none do."""
        if not len(self.deleted):
            return None
        index = self.index
        passage_doc = np.asarray(index.sentence_doc[index.passage_sentence_ptr[:-1]])
        return np.isin(passage_doc, self.deleted)

    @cached_property
    def live_passages(self) -> int:
        dead = self.deleted_passages
        return self.index.n_passages - (0 if dead is None else int(dead.sum()))

    @cached_property
    def live_length(self) -> int:
        dead = self.deleted_passages
        lengths = self.passage_lengths
        return int(lengths.sum()) - (0 if dead is None else int(lengths[dead].sum()))

    @cached_property
    def live_df(self) -> np.ndarray:
        """Passages holding each term, deleted ones left out."""
        df = np.diff(np.asarray(self.index.bm25.term_ptr))
        dead = self.deleted_passages
        if dead is None:
            return df
        ptr = np.asarray(self.index.passage_sentence_ptr)
        passages = np.flatnonzero(dead)
        return df - _holders(self.index, ptr[passages], ptr[passages + 1])

    @cached_property
    def live_document_df(self) -> np.ndarray:
        """Documents holding each term, deleted ones left out."""
        df = np.asarray(self.index.document_df, dtype=np.int64)
        if not len(self.deleted):
            return df
        sentence_doc = self.index.sentence_doc
        first = np.searchsorted(sentence_doc, self.deleted)
        last = np.searchsorted(sentence_doc, self.deleted, side="right")
        return df - _holders(self.index, first, last)

    @property
    def live_documents(self) -> int:
        return len(self.index.documents) - len(self.deleted)


class LiveVocabulary(Mapping[str, int]):
    """The terms of all segments, numbered in segment order: the first segment's own
    vocabulary (not copied) and the terms the later ones add. Terms found only in deleted
    documents are left out, as a build of the live documents would not know them."""

    def __init__(self, base: Mapping[str, int], extra: dict[str, int], live: np.ndarray):
        self._base, self._extra, self._live = base, extra, live
        self._all_live = bool(live.all())

    def get_id(self, term: str) -> int | None:
        found = self._base.get(term)
        if found is None:
            found = self._extra.get(term)
        return found if found is not None and (self._all_live or self._live[found]) else None

    def __getitem__(self, term: str) -> int:
        found = self.get_id(term)
        if found is None:
            raise KeyError(term)
        return found

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.get_id(term) is not None

    def __iter__(self) -> Iterator[str]:
        return (term for term, _ in self.items())

    def items(self) -> Iterator[tuple[str, int]]:  # type: ignore[override]
        """(term, id) of the live terms, at the speed of the dicts' own iteration."""
        both = itertools.chain(self._base.items(), self._extra.items())
        if self._all_live:
            return both
        live = self._live
        return ((term, i) for term, i in both if live[i])

    def __len__(self) -> int:
        return int(np.count_nonzero(self._live))

    def terms(self) -> list[str]:
        """Every term by global id, live or not."""
        return [*self._base, *self._extra]


class _Picked(LazySequence):
    """The items of `items` at the positions `picked`."""

    def __init__(self, items: Sequence[Any], picked: np.ndarray) -> None:
        self._items, self._picked = items, picked

    def __len__(self) -> int:
        return len(self._picked)

    def _item(self, i: int) -> Any:
        return self._items[int(self._picked[i])]


@dataclass(eq=False)
class LiveIndex(Index):
    """An `Index` over segments; `segments` and `maps` (each segment's term ids to global
    ones) let the writer and merging find where things are stored."""

    segments: list[Segment] = field(default_factory=list)
    maps: list[np.ndarray] = field(default_factory=list)
    manifest: str = ""

    @cached_property
    def _deleted(self) -> np.ndarray | None:
        if not any(len(s.deleted) for s in self.segments):
            return None
        dead = np.zeros(len(self.documents), dtype=bool)
        first = 0
        for segment in self.segments:
            dead[first + segment.deleted] = True
            first += len(segment.index.documents)
        return dead

    def is_deleted(self, d: int) -> bool:
        return self._deleted is not None and bool(self._deleted[d])

    @cached_property
    def _first_sentences(self) -> list[int]:
        return list(itertools.accumulate((s.index.n_sentences for s in self.segments), initial=0))

    def sentence_text(self, i: int) -> str:
        # From its segment directly: three reads through the joined views cost 1.7 times
        # as much, at every sentence of every passage shown.
        s = bisect.bisect_right(self._first_sentences, i) - 1
        return self.segments[s].index.sentence_text(i - self._first_sentences[s])

    @property
    def live_documents(self) -> Sequence[Document]:
        if self._deleted is None:
            return self.documents
        return _Picked(self.documents, np.flatnonzero(~self._deleted))


def _vocabulary(segments: Sequence[Segment]) -> tuple[Mapping[str, int], dict, list[np.ndarray]]:
    base = segments[0].index.vocab
    extra: dict[str, int] = {}
    maps = [np.arange(len(base), dtype=np.int64)]
    for segment in segments[1:]:
        ids = np.empty(len(segment.index.vocab), dtype=np.int64)
        for local, term in enumerate(segment.index.vocab):
            found = base.get(term)
            if found is None:
                found = extra.setdefault(term, len(base) + len(extra))
            ids[local] = found
        maps.append(ids)
    return base, extra, maps


def live_index(segments: Sequence[Segment], fingerprint: str, manifest: str = "") -> LiveIndex:
    """The view of `segments` (at least one) as one index."""
    first = segments[0].index
    if len(segments) == 1 and not len(segments[0].deleted):
        # A merged index is its one segment, read as it is.
        kept = {f.name: getattr(first, f.name) for f in fields(Index)}
        kept["fingerprint"] = fingerprint
        return LiveIndex(
            **kept,
            segments=list(segments),
            maps=[np.arange(len(first.vocab), dtype=np.int64)],
            manifest=manifest,
        )
    base, extra, maps = _vocabulary(segments)
    n_terms = len(base) + len(extra)
    df = np.zeros(n_terms, dtype=np.int64)
    document_df = np.zeros(n_terms, dtype=np.int64)
    for segment, ids in zip(segments, maps, strict=True):
        df[ids] += segment.live_df
        document_df[ids] += segment.live_document_df
    bm25 = SegmentedBM25(segments, maps, df, first.bm25.k1, first.bm25.b, first.bm25.epsilon)
    indexes = [s.index for s in segments]
    abbreviations: dict[str, str] = {}
    for index in indexes:
        abbreviations.update(index.abbreviations)
    document_counts = np.cumsum([0] + [len(i.documents) for i in indexes])[:-1]
    return LiveIndex(
        documents=ConcatSequence([i.documents for i in indexes]),
        vocab=LiveVocabulary(base, extra, df > 0),
        fingerprint=fingerprint,
        passage_sentences=first.passage_sentences,
        sentence_doc=ConcatArray(
            [i.sentence_doc for i in indexes], add=document_counts.tolist(), dtype=np.int32
        ),
        sentence_start=ConcatArray([i.sentence_start for i in indexes]),
        sentence_end=ConcatArray([i.sentence_end for i in indexes]),
        sentence_text_ptr=concat_offsets([i.sentence_text_ptr for i in indexes]),
        sentence_text_blob=ConcatArray([i.sentence_text_blob for i in indexes]),
        sentence_term_ptr=concat_offsets([i.sentence_term_ptr for i in indexes]),
        sentence_term_ids=ConcatArray([i.sentence_term_ids for i in indexes], maps=maps),
        passage_sentence_ptr=concat_offsets([i.passage_sentence_ptr for i in indexes]),
        document_text_ptr=concat_offsets([i.document_text_ptr for i in indexes]),
        document_text_blob=ConcatArray([i.document_text_blob for i in indexes]),
        bm25=bm25,
        document_stamps=ConcatSequence([i.document_stamps for i in indexes]),
        pipeline_version=min((i.pipeline_version for i in indexes), default=PIPELINE_VERSION),
        abbreviations=abbreviations,
        document_idf=idf_over_documents(document_df, sum(s.live_documents for s in segments)),
        document_df=document_df,
        segments=list(segments),
        maps=maps,
        manifest=manifest,
    )
