"""Building an index: term ids for each distinct sentence, passages, BM25 and the
documents' idf; in full, or from a previous index reusing its unchanged documents."""

import contextlib
from array import array
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.abbreviations import corpus_abbreviations
from retrieval.bm25 import BM25
from retrieval.documents import CorpusError, Document, ParsedDocument
from retrieval.index import reading
from retrieval.index.model import PIPELINE_VERSION, Index, offsets
from retrieval.index.reading import (
    Read,
    chunks,
    compact,
    default_workers,
    file_stamp,
    mapped,
    read_corpus,
    segment_texts,
    worker_pool,
)
from retrieval.index.rows import Rows, first_occurrence_vocab, gather_csr, index_rows, join_runs

# Postings handled at a time when counting document frequencies.
_POSTINGS_BLOCK = 1 << 22


def _segment_rows(
    reads: Iterable[Read],
    vocab: dict[str, int],
    pool: Any,
    progress: Callable[[str], None] | None,
) -> Rows:
    """Rows of freshly read documents; new terms are added to `vocab`. pyvi runs once per
    distinct sentence text: news pages repeat headlines, bylines and captions."""
    documents: list[Document] = []
    stamps: list[tuple[int, int] | None] = []
    doc_ptr = array("q", [0])
    starts, ends = array("q"), array("q")
    text_lengths = array("q")
    text_blob = bytearray()
    distinct: dict[bytes, int] = {}
    sentence_distinct = array("q")
    doc_text_lengths = array("q")
    doc_text_blob = bytearray()
    for read in reads:
        doc_text_lengths.append(len(read.text))
        doc_text_blob += read.text
        documents.append(read.document)
        stamps.append(read.stamp)
        starts.extend(read.starts)
        ends.extend(read.ends)
        doc_ptr.append(doc_ptr[-1] + len(read.texts))
        text_lengths.extend(map(len, read.texts))
        text_blob += b"".join(read.texts)
        sentence_distinct.extend([distinct.setdefault(t, len(distinct)) for t in read.texts])

    texts = list(distinct)
    del distinct
    step = max(reading.PROGRESS_MIN_STEP, len(texts) // 20)
    distinct_ptr = array("q", [0])
    distinct_ids = array("i")
    for joined in (
        terms
        for chunk in mapped(pool, segment_texts, list(chunks(texts, reading.SEGMENT_CHUNK)))
        for terms in chunk
    ):
        distinct_ids.extend([vocab.setdefault(t, len(vocab)) for t in joined.split()])
        distinct_ptr.append(len(distinct_ids))
        done = len(distinct_ptr) - 1
        if progress is not None and done % step == 0:
            progress(f"indexing: {done}/{len(texts)} distinct sentences segmented")

    text_ptr = offsets(np.frombuffer(text_lengths, dtype=np.int64))
    term_ptr, term_ids = gather_csr(
        np.frombuffer(distinct_ptr, dtype=np.int64),
        np.frombuffer(distinct_ids, dtype=np.int32),
        np.frombuffer(sentence_distinct, dtype=np.int64),
    )
    return Rows(
        documents=documents,
        stamps=stamps,
        doc_ptr=np.frombuffer(doc_ptr, dtype=np.int64),
        start=np.frombuffer(starts, dtype=np.int64),
        end=np.frombuffer(ends, dtype=np.int64),
        text_ptr=text_ptr,
        text_blob=np.frombuffer(text_blob, dtype=np.uint8),
        term_ptr=term_ptr,
        term_ids=term_ids,
        doc_text_ptr=offsets(np.frombuffer(doc_text_lengths, dtype=np.int64)),
        doc_text_blob=np.frombuffer(doc_text_blob, dtype=np.uint8),
    )


def _passage_ptr(doc_ptr: np.ndarray, passage_sentences: int) -> np.ndarray:
    """Windows of `passage_sentences` sentences restarting at each document."""
    counts = np.diff(doc_ptr)
    per_doc = -(-counts // passage_sentences)
    n_passages = int(per_doc.sum())
    first_of_doc = np.zeros(len(per_doc), dtype=np.int64)
    np.cumsum(per_doc[:-1], out=first_of_doc[1:])
    within = np.arange(n_passages, dtype=np.int64) - np.repeat(first_of_doc, per_doc)
    ptr = np.empty(n_passages + 1, dtype=np.int64)
    ptr[:-1] = np.repeat(doc_ptr[:-1], per_doc) + within * passage_sentences
    ptr[-1] = doc_ptr[-1]
    return ptr


def idf_over_documents(df: np.ndarray, n_documents: int) -> np.ndarray:
    """ln(1 + (N - df + 0.5) / (df + 0.5)) with df the number of documents holding the term.

    The answerer ranks whole documents with it: a word repeated through one article is in
    many of its passages, so the passages' idf takes it for common, while counted by
    documents it is as rare as it is across articles. This idf is never negative, so it
    also serves a corpus of one document."""
    return np.log1p((n_documents - df + 0.5) / (df + 0.5))


def _document_df(bm25: BM25, passage_doc: np.ndarray) -> np.ndarray:
    """The number of documents holding each term (see `idf_over_documents`). Postings are
    in passage order, hence in document order: a term's documents are the changes of
    document along its postings."""
    term_ptr, post_docs = bm25.term_ptr, bm25.post_docs
    # A posting is "new" where its term's run of one document begins; df is the number of
    # new postings between a term's bounds.
    new_before = np.zeros(len(term_ptr), dtype=np.int64)
    counted = 0
    for lo in range(0, len(post_docs), _POSTINGS_BLOCK):
        hi = min(lo + _POSTINGS_BLOCK, len(post_docs))
        docs = passage_doc[post_docs[lo:hi]]
        before = passage_doc[post_docs[lo - 1]] if lo else -1
        new = docs != np.concatenate(([before], docs[:-1]))
        inside = slice(*np.searchsorted(term_ptr, [lo, hi]))
        new[term_ptr[inside] - lo] = True
        positions = np.flatnonzero(new)
        new_before[inside] = counted + np.searchsorted(positions, term_ptr[inside] - lo)
        counted += len(positions)
    new_before[term_ptr == len(post_docs)] = counted
    return np.diff(new_before).astype(np.int32)


def index_of_rows(
    rows: Rows,
    vocab: dict[str, int],
    fingerprint: str,
    passage_sentences: int,
    progress: Callable[[str], None] | None,
    threads: int,
) -> Index:
    # Finding the abbreviations is Python (regular expressions), BM25 mostly numpy, which
    # releases the GIL: with a core to spare, they run side by side.
    background = ThreadPoolExecutor(1) if threads > 1 else contextlib.nullcontext()
    with background as executor:
        found = (
            executor.submit(corpus_abbreviations, rows.text_ptr, rows.text_blob)
            if executor
            else None
        )
        passage_ptr = _passage_ptr(rows.doc_ptr, passage_sentences)
        # A passage's terms are its sentences' terms back to back, and passages are
        # contiguous runs of sentences, so the sentence term array already is the passage CSR.
        bm25 = BM25.build(rows.term_ptr[passage_ptr], rows.term_ids, len(vocab), threads=threads)
        sentence_doc = np.repeat(
            np.arange(len(rows.documents), dtype=np.int32), np.diff(rows.doc_ptr)
        )
        document_df = _document_df(bm25, sentence_doc[passage_ptr[:-1]])
        abbreviations = (
            found.result() if found else corpus_abbreviations(rows.text_ptr, rows.text_blob)
        )
    n_sentences = len(rows.start)
    if progress is not None:
        progress(
            f"indexed {len(rows.documents)} documents: {n_sentences} sentences, "
            f"{len(passage_ptr) - 1} passages, {len(vocab)} terms"
        )
    return Index(
        documents=rows.documents,
        vocab=vocab,
        fingerprint=fingerprint,
        passage_sentences=passage_sentences,
        sentence_doc=sentence_doc,
        sentence_start=rows.start,
        sentence_end=rows.end,
        sentence_text_ptr=rows.text_ptr,
        sentence_text_blob=rows.text_blob,
        sentence_term_ptr=rows.term_ptr,
        sentence_term_ids=rows.term_ids,
        passage_sentence_ptr=passage_ptr,
        bm25=bm25,
        document_stamps=rows.stamps,
        pipeline_version=PIPELINE_VERSION,
        abbreviations=abbreviations,
        document_df=document_df,
        document_idf=idf_over_documents(document_df, len(rows.documents)),
        document_text_ptr=rows.doc_text_ptr,
        document_text_blob=rows.doc_text_blob,
    )


def build_index(
    documents: list[ParsedDocument],
    fingerprint: str,
    passage_sentences: int = 3,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> Index:
    """Segment, assign term ids, cut passages and build BM25 over them. Distinct sentences
    are segmented by `workers` processes (default: one per available core); the result is
    the same for any number of workers."""
    if passage_sentences < 1:
        raise ValueError("passage_sentences must be at least 1")
    reads = [compact(parsed, None) for parsed in documents]
    jobs = sum(len(read.texts) for read in reads) // reading.SEGMENT_CHUNK
    vocab: dict[str, int] = {}
    workers = workers or default_workers()
    with worker_pool(workers, jobs) as pool:
        rows = _segment_rows(reads, vocab, pool, progress)
    return index_of_rows(rows, vocab, fingerprint, passage_sentences, progress, workers)


def update_index(
    corpus: Path,
    files: list[Path],
    fingerprint: str,
    previous: Index | None = None,
    passage_sentences: int = 3,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> Index:
    """The index of `files` under the folder `corpus`. Documents of `previous` whose file
    still has the same path, size and mtime are reused as they are (sentences, term ids);
    only new and changed files are read and segmented, by `workers` processes. The result
    equals a full build of the same files. Raises CorpusError when no file is readable."""
    if passage_sentences < 1:
        raise ValueError("passage_sentences must be at least 1")
    old: Rows | None = None
    known: dict[Path, tuple[int, tuple[int, int]]] = {}
    vocab: dict[str, int] = {}
    if (
        previous is not None
        and previous.pipeline_version == PIPELINE_VERSION
        and previous.passage_sentences == passage_sentences
    ):
        old = index_rows(previous)
        # Fresh documents extend the old ids; the renumbering below makes them a full build's.
        vocab = dict(previous.vocab)
        known = {
            d.path: (i, stamp)
            for i, (d, stamp) in enumerate(zip(previous.documents, old.stamps, strict=True))
            if stamp is not None
        }
    plan: list[int | None] = []
    to_read: list[Path] = []
    for file in files:
        entry = known.get(file.absolute())
        if entry is not None and entry[1] == file_stamp(file):
            plan.append(entry[0])
        else:
            plan.append(None)
            to_read.append(file)

    # Documents stream from the readers into the text store and deduplication rather than
    # all being held as parsed objects; the same pool then segments the distinct texts. It
    # is sized by the files to read and their bytes: a few small files rarely hold enough
    # sentences to repay it, one large file does (a 30 MB text was segmented by one process).
    workers = workers or default_workers()
    to_read_bytes = sum((file_stamp(file) or (0, 0))[0] for file in to_read)
    jobs = max(len(to_read) // reading.READ_CHUNK, to_read_bytes // reading.POOL_BYTES)
    with worker_pool(workers, jobs) as pool:
        fresh = _segment_rows(read_corpus(corpus, to_read, pool, progress), vocab, pool, progress)
    # Unreadable files are skipped, so fresh rows line up with the readable ones only.
    readable = {document.path for document in fresh.documents}

    runs: list[tuple[Rows, int, int]] = []
    next_fresh = 0
    for file, reused in zip(files, plan, strict=True):
        if reused is None:
            if file.absolute() not in readable:
                continue
            source, position = fresh, next_fresh
            next_fresh += 1
        else:
            assert old is not None
            source, position = old, reused
        if runs and runs[-1][0] is source and runs[-1][2] == position:
            runs[-1] = (source, runs[-1][1], position + 1)
        else:
            runs.append((source, position, position + 1))
    if not runs:
        raise CorpusError(f"no readable documents in {corpus}")
    if runs == [(fresh, 0, len(fresh.documents))] and old is None:
        rows, final_vocab = fresh, vocab
    else:
        rows = join_runs(runs)
        final_vocab = first_occurrence_vocab(rows, sorted(vocab, key=vocab.__getitem__))
    return index_of_rows(rows, final_vocab, fingerprint, passage_sentences, progress, workers)
