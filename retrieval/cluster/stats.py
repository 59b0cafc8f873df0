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

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrieval.abbreviations import defined_abbreviations
from retrieval.bm25 import CorpusStats
from retrieval.index import Index
from retrieval.index.model import offsets
from retrieval.index.records import document_records


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
        }


def document_df(index: Index) -> np.ndarray:
    """How many documents hold each term: changes of document along its postings, which
    are in passage order, hence in document order."""
    bm25 = index.bm25
    passage_doc = np.asarray(index.sentence_doc)[np.asarray(index.passage_sentence_ptr[:-1])]
    docs = passage_doc[bm25.post_docs]
    new = np.ones(len(docs), dtype=bool)
    np.not_equal(docs[1:], docs[:-1], out=new[1:])
    starts = np.asarray(bm25.term_ptr[:-1])
    new[starts[starts < len(docs)]] = True
    counted = offsets(new.astype(np.int64))
    return counted[np.asarray(bm25.term_ptr[1:])] - counted[starts]


def _per_document(index: Index, ptr: np.ndarray) -> np.ndarray:
    """How many rows of the CSR `ptr` over sentences (sentences, passages) each document
    holds; rows never cross documents."""
    firsts = np.asarray(index.sentence_doc)[np.asarray(ptr[:-1])]
    return np.bincount(firsts, minlength=len(index.documents))


def _global_ids(local_first: np.ndarray, global_first: np.ndarray, counts: np.ndarray):
    """Global id of every local row, documents' rows being contiguous in both numberings."""
    return np.repeat(global_first - local_first, counts) + np.arange(int(counts.sum()))


def _abbreviations(shards: list[Index], sentence_ids: list[np.ndarray]) -> dict[str, str]:
    """The pairs the whole corpus defines, read from its sentences holding "(" in global
    sentence order (the first definition of a short form wins, as in one index)."""
    found: list[tuple[int, str]] = []
    for index, ids in zip(shards, sentence_ids, strict=True):
        blob, ptr = np.asarray(index.sentence_text_blob), np.asarray(index.sentence_text_ptr)
        at = np.flatnonzero(blob == ord("("))
        for s in np.unique(np.searchsorted(ptr, at, side="right") - 1).tolist():
            found.append((int(ids[s]), bytes(blob[ptr[s] : ptr[s + 1]]).decode("utf-8")))
    found.sort()
    return defined_abbreviations(text for _, text in found)


def merge(shards: list[Index]) -> tuple[GlobalStats, list[Overlay]]:
    """The global statistics of `shards` (each over different documents of one corpus,
    built with the same parameters) and each shard's overlay of them."""
    bm25s = [index.bm25 for index in shards]
    # Documents in corpus order (sorted paths, as `corpus_files` lists them).
    paths = [
        (d.path, s, i) for s, index in enumerate(shards) for i, d in enumerate(index.documents)
    ]
    paths.sort()
    doc_shard = np.array([s for _, s, _ in paths], dtype=np.int32)
    doc_local = np.array([i for _, _, i in paths], dtype=np.int64)
    sentences = [_per_document(index, np.arange(index.n_sentences + 1)) for index in shards]
    passages = [_per_document(index, index.passage_sentence_ptr) for index in shards]
    gathered = {}
    for name, counts in (("sentence", sentences), ("passage", passages)):
        ordered = np.zeros(len(paths), dtype=np.int64)
        for s in range(len(shards)):
            ordered[doc_shard == s] = counts[s][doc_local[doc_shard == s]]
        gathered[name] = offsets(ordered)
    local_first = {
        name: [offsets(c)[:-1] for c in counts]
        for name, counts in (("sentence", sentences), ("passage", passages))
    }
    firsts: dict[str, list[np.ndarray]] = {"sentence": [], "passage": []}
    for s in range(len(shards)):
        mine = np.flatnonzero(doc_shard == s)
        for name in firsts:
            first = np.zeros(len(shards[s].documents), dtype=np.int64)
            first[doc_local[mine]] = gathered[name][mine]
            firsts[name].append(first)

    # Terms in order of first occurrence: by the global passage of their first posting,
    # then (within that passage, hence within one shard) by the shard's own id.
    earliest: dict[str, tuple[int, int]] = {}
    for s, (index, bm25) in enumerate(zip(shards, bm25s, strict=True)):
        global_passage = _global_ids(local_first["passage"][s], firsts["passage"][s], passages[s])
        first_posting = global_passage[np.asarray(bm25.post_docs)[np.asarray(bm25.term_ptr[:-1])]]
        for term, key in zip(_terms(index), first_posting.tolist(), strict=True):
            local_id = index.vocab[term]
            known = earliest.get(term)
            if known is None or (key, local_id) < known:
                earliest[term] = (key, local_id)
    terms = sorted(earliest, key=earliest.__getitem__)
    del earliest
    global_id = {term: i for i, term in enumerate(terms)}
    to_global = [
        np.fromiter((global_id[t] for t in _terms(index)), dtype=np.int64, count=len(index.vocab))
        for index in shards
    ]
    del global_id
    passage_df = np.zeros(len(terms), dtype=np.int64)
    doc_df = np.zeros(len(terms), dtype=np.int64)
    for index, ids in zip(shards, to_global, strict=True):
        passage_df[ids] += np.diff(np.asarray(index.bm25.term_ptr))
        doc_df[ids] += document_df(index)

    n_documents = len(paths)
    # In the whole index's term order: the epsilon floor's mean then sums the same doubles.
    corpus = CorpusStats.combine(
        dataclasses.replace(bm25.stats, df=np.zeros(0, dtype=np.int64)) for bm25 in bm25s
    )
    corpus = dataclasses.replace(corpus, df=passage_df)
    document_idf = np.log1p((n_documents - doc_df + 0.5) / (doc_df + 0.5))
    overlays = [
        Overlay(
            term=ids,
            df=passage_df[ids],
            idf=corpus.idf[ids],
            document_idf=document_idf[ids],
            doc_sentence=firsts["sentence"][s],
            doc_passage=firsts["passage"][s],
        )
        for s, ids in enumerate(to_global)
    ]
    sentence_ids = [
        _global_ids(local_first["sentence"][s], firsts["sentence"][s], sentences[s])
        for s in range(len(shards))
    ]
    record_ptr, record_blob = _records(shards, doc_shard, doc_local)
    terms_total = sum(int(index.sentence_term_ptr[-1]) for index in shards)
    stats = GlobalStats(
        terms=terms,
        passage_df=passage_df,
        idf=corpus.idf,
        total_length=corpus.total_length,
        abbreviations=_abbreviations(shards, sentence_ids),
        average_doc_terms=max(float(terms_total) / max(n_documents, 1), 1.0),
        doc_shard=doc_shard,
        doc_local=doc_local,
        doc_sentence=gathered["sentence"],
        doc_passage=gathered["passage"],
        record_ptr=record_ptr,
        record_blob=record_blob,
        fingerprints=[index.fingerprint for index in shards],
    )
    return stats, overlays


def _terms(index: Index) -> list[str]:
    return sorted(index.vocab, key=index.vocab.__getitem__)


def _records(
    shards: list[Index], doc_shard: np.ndarray, doc_local: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The documents' stored records (`retrieval.index.records`) in corpus order."""
    parts = [document_records(index) for index in shards]
    pieces = [
        bytes(parts[s][1][parts[s][0][i] : parts[s][0][i + 1]])
        for s, i in zip(doc_shard.tolist(), doc_local.tolist(), strict=True)
    ]
    ptr = offsets(np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces)))
    return ptr, np.frombuffer(b"".join(pieces), dtype=np.uint8)
