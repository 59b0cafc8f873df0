"""Global statistics of a sharded index, merged from its shards when they are built.

Each shard is an ordinary index over its documents, with its own term ids and its own
counts. For the shards to score exactly as one index of the whole corpus would, every
number a score reads that counts more than one document is replaced by the corpus's:
the passages' idf (with rank_bm25's epsilon floor averaged over the whole vocabulary),
the passages' length norms (the average passage length), the documents' idf and average
length, the abbreviations the corpus defines; and every id a tie is broken by (passages,
sentences) is the one the whole index would give.

The whole index numbers documents in path order, sentences and passages in document
order, and terms in order of first occurrence; all of these follow from the shards'
own numbering, so the merge needs no text but the sentences holding "(" (abbreviations).
"""

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from retrieval.abbreviations import defined_abbreviations
from retrieval.bm25 import CorpusStats
from retrieval.index import Index
from retrieval.index.build import idf_over_documents
from retrieval.index.live import LiveIndex, LiveVocabulary, Segment
from retrieval.index.model import offsets
from retrieval.index.records import Records, document_records


@dataclass(eq=False)
class Overlay:
    """One shard's view of the global statistics, indexed by its own ids: per term the
    global id `term`, passage frequency `df`, `idf` and `document_idf`; per document the
    global id of its first sentence and first passage."""

    term: np.ndarray
    df: np.ndarray
    idf: np.ndarray
    document_idf: np.ndarray
    doc_sentence: np.ndarray
    doc_passage: np.ndarray

    NAMES = ("term", "df", "idf", "document_idf", "doc_sentence", "doc_passage")


@dataclass(eq=False)
class GlobalStats:
    """What the coordinator needs: the global vocabulary (`terms`, in the whole index's id
    order) with each term's passage frequency and idf, the counts, and for each document
    in corpus order its shard, its number there, its first global sentence and passage
    (CSR over documents: `doc_sentence[n_documents]` is the number of sentences)."""

    terms: list[str]
    passage_df: np.ndarray
    idf: np.ndarray
    abbreviations: dict[str, str]
    average_doc_terms: float
    # The passages' tokens: with the passage count, the global average passage length.
    total_length: int
    doc_shard: np.ndarray
    doc_local: np.ndarray
    doc_sentence: np.ndarray
    doc_passage: np.ndarray
    record_ptr: np.ndarray
    record_blob: np.ndarray
    fingerprints: list[str]
    # Each shard's live manifest (see retrieval.index.segments) when merged: a merge of
    # its segments keeps its fingerprint but renumbers its documents and terms.
    manifests: list[str]

    ARRAYS = (
        "passage_df",
        "idf",
        "doc_shard",
        "doc_local",
        "doc_sentence",
        "doc_passage",
        "record_ptr",
        "record_blob",
    )

    @property
    def n_documents(self) -> int:
        return len(self.doc_shard)

    @property
    def n_passages(self) -> int:
        return int(self.doc_passage[-1])

    def meta(self) -> dict[str, Any]:
        return {
            "terms": self.terms,
            "abbreviations": self.abbreviations,
            "average_doc_terms": self.average_doc_terms,
            "total_length": self.total_length,
            "n_passages": self.n_passages,
            "fingerprints": self.fingerprints,
            "manifests": self.manifests,
        }


@dataclass(eq=False)
class _Part:
    """One segment of a shard (an index built before the live index is one segment): its
    live documents count, its deleted ones are left out of every statistic and id."""

    shard: int
    segment: Segment
    # The shard's id of the segment's first document, and of each of its terms.
    first_doc: int
    terms: np.ndarray

    @property
    def index(self) -> Index:
        return self.segment.index

    @cached_property
    def alive(self) -> np.ndarray:
        alive = np.ones(len(self.index.documents), dtype=bool)
        alive[self.segment.deleted] = False
        return alive

    def per_document(self, ptr: np.ndarray) -> np.ndarray:
        """How many rows of the CSR `ptr` over sentences (sentences, passages) each document
        holds; rows never cross documents."""
        firsts = np.asarray(self.index.sentence_doc)[np.asarray(ptr[:-1])]
        return np.bincount(firsts, minlength=len(self.index.documents))

    def first_postings(self) -> tuple[np.ndarray, np.ndarray]:
        """(terms, the segment's passage of its first live posting) of the terms that have
        one; postings are in passage order."""
        bm25 = self.index.bm25
        post, ptr = np.asarray(bm25.post_docs), np.asarray(bm25.term_ptr)
        dead = self.segment.deleted_passages
        live = np.arange(len(post)) if dead is None else np.flatnonzero(~dead[post])
        at = np.searchsorted(live, ptr[:-1])
        has = at < len(live)
        has[has] = live[at[has]] < ptr[1:][has]
        return np.flatnonzero(has), post[live[at[has]]]


def shard_terms(index: Index) -> list[str]:
    """Every term of a shard by its id, terms only deleted documents held included."""
    if isinstance(index.vocab, LiveVocabulary):
        return index.vocab.terms()
    return sorted(index.vocab, key=index.vocab.__getitem__)


def _parts(shards: list[Index]) -> list[_Part]:
    parts = []
    for s, index in enumerate(shards):
        if isinstance(index, LiveIndex):
            pairs = list(zip(index.segments, index.maps, strict=True))
        else:
            pairs = [(Segment("", index), np.arange(len(index.vocab), dtype=np.int64))]
        first = 0
        for segment, terms in pairs:
            parts.append(_Part(s, segment, first, terms))
            first += len(segment.index.documents)
    return parts


def _global_ids(local_first: np.ndarray, global_first: np.ndarray, counts: np.ndarray):
    """Global id of every local row, documents' rows being contiguous in both numberings."""
    return np.repeat(global_first - local_first, counts) + np.arange(int(counts.sum()))


def _abbreviations(parts: list[_Part], sentence_ids: list[np.ndarray]) -> dict[str, str]:
    """The pairs the whole corpus defines, read from its live sentences holding "(" in
    global sentence order (the first definition of a short form wins, as in one index)."""
    found: list[tuple[int, str]] = []
    for part, ids in zip(parts, sentence_ids, strict=True):
        index = part.index
        blob, ptr = np.asarray(index.sentence_text_blob), np.asarray(index.sentence_text_ptr)
        at = np.flatnonzero(blob == ord("("))
        for s in np.unique(np.searchsorted(ptr, at, side="right") - 1).tolist():
            if ids[s] >= 0:
                found.append((int(ids[s]), bytes(blob[ptr[s] : ptr[s + 1]]).decode("utf-8")))
    found.sort()
    return defined_abbreviations(text for _, text in found)


def merge(shards: list[Index]) -> tuple[GlobalStats, list[Overlay]]:
    """The global statistics of `shards` (each over different documents of one corpus,
    built with the same parameters; live indexes of several segments, with deleted
    documents, too) and each shard's overlay of them."""
    parts = _parts(shards)
    stored = [_stored_records(part.index) for part in parts]
    # Live documents in corpus order (sorted paths, as `corpus_files` lists them: by their
    # parts), read from the stored records without making Documents of them.
    paths = [
        (_record(ptr, blob, i)[3].split("/"), p, i)
        for p, (part, (ptr, blob)) in enumerate(zip(parts, stored, strict=True))
        for i in np.flatnonzero(part.alive).tolist()
    ]
    paths.sort()
    doc_part = np.array([p for _, p, _ in paths], dtype=np.int64)
    doc_own = np.array([i for _, _, i in paths], dtype=np.int64)
    part_shard = np.array([part.shard for part in parts], dtype=np.int32)
    part_first = np.array([part.first_doc for part in parts], dtype=np.int64)
    counts = {
        "sentence": [part.per_document(np.arange(part.index.n_sentences + 1)) for part in parts],
        "passage": [part.per_document(part.index.passage_sentence_ptr) for part in parts],
    }
    gathered, firsts = {}, {}
    for name, per_part in counts.items():
        ordered = np.zeros(len(paths), dtype=np.int64)
        for p in range(len(parts)):
            ordered[doc_part == p] = per_part[p][doc_own[doc_part == p]]
        gathered[name] = offsets(ordered)
        # Each part's documents' first global row; -1 for deleted documents.
        firsts[name] = [np.full(len(part.alive), -1, dtype=np.int64) for part in parts]
        for p in range(len(parts)):
            mine = np.flatnonzero(doc_part == p)
            firsts[name][p][doc_own[mine]] = gathered[name][mine]
    global_ids = {
        name: [
            np.where(
                np.repeat(part.alive, per_part[p]),
                _global_ids(offsets(per_part[p])[:-1], firsts[name][p], per_part[p]),
                -1,
            )
            for p, part in enumerate(parts)
        ]
        for name, per_part in counts.items()
    }

    # Terms in order of first occurrence: by the global passage of their first live
    # posting, then (within that passage, hence within one segment) by the segment's id.
    names = [shard_terms(index) for index in shards]
    earliest: dict[str, tuple[int, int]] = {}
    for p, part in enumerate(parts):
        held, first_passage = part.first_postings()
        keys = global_ids["passage"][p][first_passage].tolist()
        strings = names[part.shard]
        for local, key, shard_id in zip(
            held.tolist(), keys, part.terms[held].tolist(), strict=True
        ):
            term = strings[shard_id]
            known = earliest.get(term)
            if known is None or (key, local) < known:
                earliest[term] = (key, local)
    terms = sorted(earliest, key=earliest.__getitem__)
    del earliest
    global_id = {term: i for i, term in enumerate(terms)}
    to_global = [
        np.fromiter((global_id.get(t, -1) for t in strings), dtype=np.int64, count=len(strings))
        for strings in names
    ]
    del global_id
    passage_df = np.zeros(len(terms), dtype=np.int64)
    doc_df = np.zeros(len(terms), dtype=np.int64)
    for part in parts:
        ids = to_global[part.shard][part.terms]
        held = ids >= 0
        np.add.at(passage_df, ids[held], part.segment.live_df[held])
        np.add.at(doc_df, ids[held], part.segment.live_document_df[held])

    n_documents = len(paths)
    k1, b, epsilon = (getattr(parts[0].index.bm25.stats, n) for n in ("k1", "b", "epsilon"))
    # In the whole index's term order: the epsilon floor's mean then sums the same doubles.
    corpus = CorpusStats(
        sum(part.segment.live_passages for part in parts),
        sum(part.segment.live_length for part in parts),
        passage_df,
        k1,
        b,
        epsilon,
    )
    document_idf = idf_over_documents(doc_df, n_documents)
    overlays = []
    for s, ids in enumerate(to_global):
        mine = [p for p, part in enumerate(parts) if part.shard == s]
        held = ids >= 0

        def known(values: np.ndarray, ids: np.ndarray = ids, held: np.ndarray = held):
            return np.where(held, values[np.maximum(ids, 0)], 0)

        overlays.append(
            Overlay(
                term=ids,
                df=known(passage_df),
                idf=known(corpus.idf),
                document_idf=known(document_idf),
                doc_sentence=np.concatenate([firsts["sentence"][p] for p in mine]),
                doc_passage=np.concatenate([firsts["passage"][p] for p in mine]),
            )
        )
    record_ptr, record_blob = _records(stored, doc_part, doc_own)
    terms_total = 0
    for part, sentences in zip(parts, counts["sentence"], strict=True):
        ptr = np.asarray(part.index.sentence_term_ptr)[offsets(sentences)]
        terms_total += int(np.diff(ptr)[part.alive].sum())
    stats = GlobalStats(
        terms=terms,
        passage_df=passage_df,
        idf=corpus.idf,
        total_length=corpus.total_length,
        abbreviations=_abbreviations(parts, global_ids["sentence"]),
        average_doc_terms=max(float(terms_total) / max(n_documents, 1), 1.0),
        doc_shard=part_shard[doc_part],
        doc_local=part_first[doc_part] + doc_own,
        doc_sentence=gathered["sentence"],
        doc_passage=gathered["passage"],
        record_ptr=record_ptr,
        record_blob=record_blob,
        fingerprints=[index.fingerprint for index in shards],
        manifests=[getattr(index, "manifest", "") for index in shards],
    )
    return stats, overlays


def _stored_records(index: Index) -> tuple[np.ndarray, np.ndarray]:
    """(ptr, blob) of the documents' records (`retrieval.index.records`): the stored bytes
    as they are when the index was loaded (decoding and encoding 150,000 records again
    took 14 of the 29 s of a merge at 1M), else encoded from the documents."""
    documents = index.documents
    if isinstance(documents, Records):
        return np.asarray(documents._ptr), np.asarray(documents._blob)
    return document_records(index)


def _record(ptr: np.ndarray, blob: np.ndarray, i: int) -> list[Any]:
    return json.loads(blob[ptr[i] : ptr[i + 1]].tobytes())


def _records(
    stored: list[tuple[np.ndarray, np.ndarray]], doc_part: np.ndarray, doc_own: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The live documents' stored records in corpus order."""
    pieces = [
        stored[p][1][stored[p][0][i] : stored[p][0][i + 1]].tobytes()
        for p, i in zip(doc_part.tolist(), doc_own.tolist(), strict=True)
    ]
    ptr = offsets(np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces)))
    return ptr, np.frombuffer(b"".join(pieces), dtype=np.uint8)
