"""The search index: segmented sentences, passages and BM25, built once and kept on disk.

Segmenting with pyvi is the slow part (about 0.3 ms a sentence), so the index is built
once per corpus state and reloaded as memory maps afterwards; answering never re-reads
the corpus files. A cheap fingerprint of the corpus files (paths, sizes, mtimes) decides
whether the stored index is still current. Building reads files and segments each distinct
sentence in a pool of processes, one per core; when the corpus changes, documents whose
file is unchanged are taken over from the stored index and only the others are read.

On disk an index is a directory holding generation directories `gen-*` (`.npy` arrays
plus `index.json`) and a `CURRENT` file naming the live one. A save writes a complete new
generation and then replaces `CURRENT` atomically, so a crash at any point leaves either
the old or the new index, never a half-written one.
"""

import contextlib
import fcntl
import hashlib
import json
import mmap
import multiprocessing
import os
import secrets
import shutil
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from retrieval.abbreviations import corpus_abbreviations
from retrieval.bm25 import BM25
from retrieval.documents import (
    CorpusError,
    Document,
    ParsedDocument,
    corpus_files,
    read_document,
)
from retrieval.tokenizer import index_terms

FORMAT_VERSION = 6
# Bump whenever the terms produced for a text change (normaliser, segmenter, filtering):
# old indexes then no longer match the fingerprint and are rebuilt.
PIPELINE_VERSION = 2

_CURRENT = "CURRENT"
_META = "index.json"
_LOCK = "lock"
_GENERATION_PREFIX = "gen-"
# Progress at least every 5000 sentences, but no more than about 20 lines per build.
_PROGRESS_MIN_STEP = 5000
# Jobs handed to a worker at a time: large enough that pickling and scheduling stay small
# next to reading and pyvi, small enough to balance two cores. A build with fewer than two
# jobs runs in this process, where starting a pool would cost more than it saves.
_READ_CHUNK = 32
_SEGMENT_CHUNK = 256
# Arrays read at random stay in the page cache after a save when they take no more than
# this in all: a server's first questions then read no sentence from disk (first-pass
# search p50 at 100k passages, 90 MB of them: 1.5-1.6 ms cached, 2.2-3.0 ms dropped),
# and all of them in its memory cost little. Larger ones are dropped (see `_write_file`).
_KEEP_CACHED = 256 << 20
# Rows gathered at a time: their positions (8 bytes an id) then stay near the CPU cache;
# 2^20 rows took 0.72 s at 100k passages, 2^14 0.11 s.
_GATHER_ROWS = 1 << 14
# Postings handled at a time when counting document frequencies.
_POSTINGS_BLOCK = 1 << 22

# name -> dtype of every array stored next to index.json (BM25's under a "bm25_" prefix).
_ARRAYS = {
    "sentence_doc": np.int32,
    "sentence_start": np.int64,
    "sentence_end": np.int64,
    "sentence_text_ptr": np.int64,
    "sentence_text_blob": np.uint8,
    "sentence_term_ptr": np.int64,
    "sentence_term_ids": np.int32,
    "passage_sentence_ptr": np.int64,
    "document_idf": np.float64,
}
# The documents' metadata (see `_Records`), stored beside the arrays of _ARRAYS.
_RECORD_PTR, _RECORD_BLOB = "document_record_ptr", "document_record_blob"


class IndexUnreadable(Exception):
    """A stored index that cannot be used: missing, corrupt or of another format version.
    The message is a short reason for users."""


class IndexMissing(IndexUnreadable):
    """No index has been saved at the path yet."""


@dataclass(eq=False)
class Index:
    """Sentences are in corpus order (document order, then sentence order); passage p is
    sentences `passage_sentence_ptr[p]` .. `passage_sentence_ptr[p + 1] - 1`, all from one
    document. Arrays are read-only memory maps after `load_index`."""

    # A list after a build, stored records (decoded when read) after `load_index`.
    documents: Sequence[Document]
    vocab: dict[str, int]
    fingerprint: str
    passage_sentences: int
    sentence_doc: np.ndarray
    sentence_start: np.ndarray
    sentence_end: np.ndarray
    sentence_text_ptr: np.ndarray
    sentence_text_blob: np.ndarray
    sentence_term_ptr: np.ndarray
    sentence_term_ids: np.ndarray
    passage_sentence_ptr: np.ndarray
    bm25: BM25
    # (size, mtime_ns) of each document's file when it was read, None when not known;
    # update_index reuses the documents whose file still matches.
    document_stamps: Sequence[tuple[int, int] | None]
    pipeline_version: int
    # Short form -> long form, as the corpus defines them ("… (Ban Chỉ đạo)"): found once
    # here, because scanning a million passages at the first question takes seconds.
    abbreviations: dict[str, str]
    # Each term's idf over documents rather than passages (see `_document_idf`).
    document_idf: np.ndarray

    @property
    def n_sentences(self) -> int:
        return len(self.sentence_doc)

    @property
    def n_passages(self) -> int:
        return len(self.passage_sentence_ptr) - 1

    def sentence_text(self, i: int) -> str:
        lo, hi = self.sentence_text_ptr[i], self.sentence_text_ptr[i + 1]
        return bytes(self.sentence_text_blob[lo:hi]).decode("utf-8")

    def sentence_terms(self, i: int) -> np.ndarray:
        return self.sentence_term_ids[self.sentence_term_ptr[i] : self.sentence_term_ptr[i + 1]]

    def passage_doc(self, p: int) -> int:
        return int(self.sentence_doc[self.passage_sentence_ptr[p]])


class _Records(Sequence[Any]):
    """Per-document JSON records stored back to back (record i is the UTF-8 bytes
    `blob[ptr[i]:ptr[i + 1]]`), decoded by `decode` only when read. At a million passages
    the corpus has 150,000 documents; held as Python objects they took 200 MB of every
    serving process."""

    def __init__(self, ptr: np.ndarray, blob: np.ndarray, decode: Callable[[list[Any]], Any]):
        self._ptr, self._blob, self._decode = ptr, blob, decode

    def __len__(self) -> int:
        return len(self._ptr) - 1

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> list[Any]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        raw = bytes(self._blob[self._ptr[i] : self._ptr[i + 1]])
        try:
            return self._decode(json.loads(raw))
        except (ValueError, TypeError, IndexError) as exc:
            raise IndexUnreadable(f"document record {i} is damaged: {exc}") from exc


def _document_of(record: list[Any]) -> Document:
    doc_id, title, date, path, _ = record
    return Document(
        doc_id=str(doc_id),
        title=str(title),
        date=None if date is None else str(date),
        path=Path(path),
    )


def _stamp_of(record: list[Any]) -> tuple[int, int] | None:
    stamp = record[4]
    return None if stamp is None else (int(stamp[0]), int(stamp[1]))


def _document_records(index: "Index") -> tuple[np.ndarray, np.ndarray]:
    """(ptr, blob) of the records `_document_of` and `_stamp_of` read."""
    records = [
        json.dumps(
            [d.doc_id, d.title, d.date, str(d.path), None if stamp is None else list(stamp)],
            ensure_ascii=False,
        ).encode("utf-8")
        for d, stamp in zip(index.documents, index.document_stamps, strict=True)
    ]
    ptr = _offsets(np.fromiter(map(len, records), dtype=np.int64, count=len(records)))
    return ptr, np.frombuffer(b"".join(records), dtype=np.uint8)


@dataclass(frozen=True)
class _Read:
    """A document as read from its file, compact to send between processes: sentence texts
    as UTF-8 (the form they are stored and deduplicated in) and the file's (size, mtime_ns)
    taken before reading, None when unknown."""

    document: Document
    stamp: tuple[int, int] | None
    starts: list[int]
    ends: list[int]
    texts: list[bytes]


def _compact(parsed: ParsedDocument, stamp: tuple[int, int] | None) -> _Read:
    sentences = parsed.sentences
    return _Read(
        parsed.document,
        stamp,
        [s.start for s in sentences],
        [s.end for s in sentences],
        [s.text.encode("utf-8") for s in sentences],
    )


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _read_files(job: tuple[Path, list[Path]]) -> list[_Read | None]:
    root, paths = job
    reads: list[_Read | None] = []
    for path in paths:
        # Stamped before reading: a file changed meanwhile then mismatches next time.
        stamp = _stamp(path)
        parsed = read_document(path, root)
        reads.append(None if parsed is None else _compact(parsed, stamp))
    return reads


def _segment_texts(texts: list[bytes]) -> list[str]:
    # One string per sentence pickles far faster than lists of terms; terms come from
    # whitespace-split tokens, so they hold no whitespace and split() recovers them.
    return [" ".join(index_terms(text.decode("utf-8"))) for text in texts]


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for lo in range(0, len(items), size):
        yield items[lo : lo + size]


def _default_workers() -> int:
    # The cores this process may run on (a container or taskset may allow fewer than the
    # machine has); macOS has no affinity.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextlib.contextmanager
def _pool(workers: int, jobs: int) -> Iterator[Any]:
    """A fork pool when there are workers to spare and enough jobs to repay starting it,
    else None (work in this process). Fork shares the loaded pyvi model with the workers."""
    if workers <= 1 or jobs < 2:
        yield None
        return
    with multiprocessing.get_context("fork").Pool(min(workers, jobs)) as pool:
        yield pool


def _mapped(pool: Any, function: Callable[[Any], Any], jobs: list[Any]) -> Iterator[Any]:
    # imap keeps job order, so the index is the same whatever the number of workers.
    return pool.imap(function, jobs) if pool is not None else map(function, jobs)


@dataclass(eq=False)
class _Rows:
    """Sentences of consecutive documents as flat arrays: document d holds sentences
    doc_ptr[d] .. doc_ptr[d + 1] - 1; texts and term ids are CSR over sentences."""

    documents: list[Document]
    stamps: list[tuple[int, int] | None]
    doc_ptr: np.ndarray
    start: np.ndarray
    end: np.ndarray
    text_ptr: np.ndarray
    text_blob: np.ndarray
    term_ptr: np.ndarray
    term_ids: np.ndarray


def _offsets(lengths: np.ndarray) -> np.ndarray:
    """CSR offsets: 0, then the running totals of `lengths`."""
    ptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    return ptr


def _gather_csr(
    ptr: np.ndarray, ids: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The CSR of `rows` of (ptr, ids), in that order; in blocks to bound the index arrays."""
    lengths = np.diff(ptr)[rows]
    out_ptr = _offsets(lengths)
    out = np.empty(int(out_ptr[-1]), dtype=ids.dtype)
    for lo in range(0, len(rows), _GATHER_ROWS):
        hi = min(lo + _GATHER_ROWS, len(rows))
        positions = np.repeat(ptr[rows[lo:hi]] - out_ptr[lo:hi], lengths[lo:hi])
        positions += np.arange(out_ptr[lo], out_ptr[hi], dtype=np.int64)
        out[out_ptr[lo] : out_ptr[hi]] = ids[positions]
    return out_ptr, out


def _segment_rows(
    reads: Iterable[_Read],
    vocab: dict[str, int],
    pool: Any,
    progress: Callable[[str], None] | None,
) -> _Rows:
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
    for read in reads:
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
    step = max(_PROGRESS_MIN_STEP, len(texts) // 20)
    distinct_ptr = array("q", [0])
    distinct_ids = array("i")
    for joined in (
        terms
        for chunk in _mapped(pool, _segment_texts, list(_chunks(texts, _SEGMENT_CHUNK)))
        for terms in chunk
    ):
        distinct_ids.extend([vocab.setdefault(t, len(vocab)) for t in joined.split()])
        distinct_ptr.append(len(distinct_ids))
        done = len(distinct_ptr) - 1
        if progress is not None and done % step == 0:
            progress(f"indexing: {done}/{len(texts)} distinct sentences segmented")

    text_ptr = _offsets(np.frombuffer(text_lengths, dtype=np.int64))
    term_ptr, term_ids = _gather_csr(
        np.frombuffer(distinct_ptr, dtype=np.int64),
        np.frombuffer(distinct_ids, dtype=np.int32),
        np.frombuffer(sentence_distinct, dtype=np.int64),
    )
    return _Rows(
        documents=documents,
        stamps=stamps,
        doc_ptr=np.frombuffer(doc_ptr, dtype=np.int64),
        start=np.frombuffer(starts, dtype=np.int64),
        end=np.frombuffer(ends, dtype=np.int64),
        text_ptr=text_ptr,
        text_blob=np.frombuffer(text_blob, dtype=np.uint8),
        term_ptr=term_ptr,
        term_ids=term_ids,
    )


def _index_rows(index: Index) -> _Rows:
    """A stored index as rows, without copying its arrays."""
    counts = np.bincount(index.sentence_doc, minlength=len(index.documents))
    doc_ptr = _offsets(counts)
    return _Rows(
        documents=list(index.documents),
        stamps=list(index.document_stamps),
        doc_ptr=doc_ptr,
        start=index.sentence_start,
        end=index.sentence_end,
        text_ptr=index.sentence_text_ptr,
        text_blob=index.sentence_text_blob,
        term_ptr=index.sentence_term_ptr,
        term_ids=index.sentence_term_ids,
    )


def _join_runs(runs: list[tuple[_Rows, int, int]]) -> _Rows:
    """Documents first .. last - 1 of each (rows, first, last), one run after another."""
    documents: list[Document] = []
    stamps: list[tuple[int, int] | None] = []
    parts: dict[str, list[np.ndarray]] = {
        name: [np.zeros(1, dtype=np.int64)] for name in ("doc_ptr", "text_ptr", "term_ptr")
    }
    for name in ("start", "end", "text_blob", "term_ids"):
        parts[name] = []
    sentences = text_bytes = terms = 0
    for rows, first, last in runs:
        documents += rows.documents[first:last]
        stamps += rows.stamps[first:last]
        lo, hi = int(rows.doc_ptr[first]), int(rows.doc_ptr[last])
        text_lo, text_hi = int(rows.text_ptr[lo]), int(rows.text_ptr[hi])
        term_lo, term_hi = int(rows.term_ptr[lo]), int(rows.term_ptr[hi])
        parts["doc_ptr"].append(rows.doc_ptr[first + 1 : last + 1] - lo + sentences)
        parts["text_ptr"].append(rows.text_ptr[lo + 1 : hi + 1] - text_lo + text_bytes)
        parts["term_ptr"].append(rows.term_ptr[lo + 1 : hi + 1] - term_lo + terms)
        parts["start"].append(rows.start[lo:hi])
        parts["end"].append(rows.end[lo:hi])
        parts["text_blob"].append(rows.text_blob[text_lo:text_hi])
        parts["term_ids"].append(rows.term_ids[term_lo:term_hi])
        sentences += hi - lo
        text_bytes += text_hi - text_lo
        terms += term_hi - term_lo
    dtypes = {"start": np.int64, "end": np.int64, "text_blob": np.uint8, "term_ids": np.int32}
    joined = {
        name: np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtypes[name])
        for name, arrays in parts.items()
    }
    return _Rows(documents=documents, stamps=stamps, **joined)


def _first_occurrence_vocab(rows: _Rows, terms: list[str]) -> dict[str, int]:
    """Renumber `rows.term_ids` (ids into `terms`) in order of first occurrence, dropping
    terms that no longer occur: the vocabulary a full build of the same rows assigns."""
    used, first = np.unique(rows.term_ids, return_index=True)
    order = used[np.argsort(first)]
    renumber = np.zeros(len(terms), dtype=np.int32)
    renumber[order] = np.arange(len(order), dtype=np.int32)
    rows.term_ids = renumber[rows.term_ids]
    return {terms[i]: new for new, i in enumerate(order.tolist())}


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


def _document_idf(bm25: BM25, passage_doc: np.ndarray, n_documents: int) -> np.ndarray:
    """ln(1 + (N - df + 0.5) / (df + 0.5)) with df the number of documents holding the term.

    The answerer ranks whole documents with it: a word repeated through one article is in
    many of its passages, so the passages' idf takes it for common, while counted by
    documents it is as rare as it is across articles. This idf is never negative, so it
    also serves a corpus of one document. Postings are in passage order, hence in document
    order: a term's documents are the changes of document along its postings."""
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
    df = np.diff(new_before)
    return np.log1p((n_documents - df + 0.5) / (df + 0.5))


def _index_of_rows(
    rows: _Rows,
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
        document_idf = _document_idf(bm25, sentence_doc[passage_ptr[:-1]], len(rows.documents))
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
        document_idf=document_idf,
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
    reads = [_compact(parsed, None) for parsed in documents]
    jobs = sum(len(read.texts) for read in reads) // _SEGMENT_CHUNK
    vocab: dict[str, int] = {}
    workers = workers or _default_workers()
    with _pool(workers, jobs) as pool:
        rows = _segment_rows(reads, vocab, pool, progress)
    return _index_of_rows(rows, vocab, fingerprint, passage_sentences, progress, workers)


def _read_corpus(
    root: Path, files: list[Path], pool: Any, progress: Callable[[str], None] | None
) -> Iterator[_Read]:
    step = max(_PROGRESS_MIN_STEP // 10, len(files) // 20)
    done = 0
    for chunk in _mapped(pool, _read_files, [(root, c) for c in _chunks(files, _READ_CHUNK)]):
        for read in chunk:
            done += 1
            if progress is not None and done % step == 0:
                progress(f"indexing: {done}/{len(files)} documents read")
            if read is not None:
                yield read


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
    old: _Rows | None = None
    known: dict[Path, tuple[int, tuple[int, int]]] = {}
    vocab: dict[str, int] = {}
    if (
        previous is not None
        and previous.pipeline_version == PIPELINE_VERSION
        and previous.passage_sentences == passage_sentences
    ):
        old = _index_rows(previous)
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
        if entry is not None and entry[1] == _stamp(file):
            plan.append(entry[0])
        else:
            plan.append(None)
            to_read.append(file)

    # Documents stream from the readers into the text store and deduplication rather than
    # all being held as parsed objects; the same pool then segments the distinct texts. It
    # is sized by the files to read, as few files rarely hold enough sentences to repay it.
    workers = workers or _default_workers()
    with _pool(workers, len(to_read) // _READ_CHUNK) as pool:
        fresh = _segment_rows(_read_corpus(corpus, to_read, pool, progress), vocab, pool, progress)
    # Unreadable files are skipped, so fresh rows line up with the readable ones only.
    readable = {document.path for document in fresh.documents}

    runs: list[tuple[_Rows, int, int]] = []
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
        rows = _join_runs(runs)
        final_vocab = _first_occurrence_vocab(rows, sorted(vocab, key=vocab.__getitem__))
    return _index_of_rows(rows, final_vocab, fingerprint, passage_sentences, progress, workers)


def _all_arrays(index: Index) -> dict[str, np.ndarray]:
    arrays = {name: getattr(index, name) for name in _ARRAYS}
    arrays[_RECORD_PTR], arrays[_RECORD_BLOB] = _document_records(index)
    arrays.update({f"bm25_{name}": a for name, a in index.bm25.arrays().items()})
    return arrays


def _read_at_random(name: str) -> bool:
    """Sentence arrays and document records are read a few rows at a time, wherever the
    candidate documents lie; postings are read whole, term by term, so readahead and
    caching serve them well."""
    return name.startswith(("sentence_", "document_record_"))


def _write_file(path: Path, write: Callable[[Any], None], keep_cached: bool = True) -> None:
    with open(path, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
        if not keep_cached and hasattr(os, "posix_fadvise"):  # not on macOS
            # Pages just written stay cached in large folios (up to 2 MB here), and a
            # server that maps the file gets a whole folio at each first touch: at 1M
            # passages, most of the sentence arrays end up in its memory for a few rows
            # each. Dropped, they are read back a page at a time when needed.
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def _write_array(path: Path, values: np.ndarray, keep_cached: bool) -> None:
    _write_file(path, lambda f: np.save(f, np.ascontiguousarray(values)), keep_cached)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Serialises savers so one never deletes a generation another is still writing.
    with open(path / _LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def save_index(index: Index, path: Path) -> None:
    """Store `index` under the directory `path`, replacing any previous index atomically."""
    path.mkdir(parents=True, exist_ok=True)
    bm25 = index.bm25
    meta = {
        "format_version": FORMAT_VERSION,
        "pipeline_version": index.pipeline_version,
        "fingerprint": index.fingerprint,
        "parameters": {
            "passage_sentences": index.passage_sentences,
            "k1": bm25.k1,
            "b": bm25.b,
            "epsilon": bm25.epsilon,
        },
        # Ids are list positions: vocab[term] == position of term.
        "vocabulary": sorted(index.vocab, key=index.vocab.__getitem__),
        "abbreviations": index.abbreviations,
    }
    with _locked(path):
        generation = f"{_GENERATION_PREFIX}{secrets.token_hex(8)}"
        target = path / generation
        pointer = path / f"{_CURRENT}.{generation}.tmp"
        target.mkdir()
        arrays = _all_arrays(index)
        random_bytes = sum(a.nbytes for name, a in arrays.items() if _read_at_random(name))
        try:
            # Writing and syncing release the GIL, so the files are written side by side. On
            # an error or Ctrl-C the files not yet begun are skipped, not written and removed.
            executor = ThreadPoolExecutor(_default_workers())
            try:
                list(
                    executor.map(
                        _write_array,
                        [target / f"{name}.npy" for name in arrays],
                        arrays.values(),
                        [random_bytes <= _KEEP_CACHED or not _read_at_random(n) for n in arrays],
                    )
                )
            finally:
                executor.shutdown(cancel_futures=True)
            _write_file(
                target / _META,
                lambda f: f.write(json.dumps(meta, ensure_ascii=False).encode("utf-8")),
            )
            _fsync_dir(target)
            _write_file(pointer, lambda f: f.write(generation.encode("ascii")))
            os.replace(pointer, path / _CURRENT)
            _fsync_dir(path)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                pointer.unlink()
            raise
        # Earlier generations, and debris of saves that crashed, are unreachable now.
        for entry in path.iterdir():
            if entry.name.startswith(_GENERATION_PREFIX) and entry.name != generation:
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.name.startswith(f"{_CURRENT}.") and entry.name.endswith(".tmp"):
                entry.unlink(missing_ok=True)


def _map_npy(path: Path) -> np.ndarray:
    """A read-only view of the .npy file `path`, memory-mapped."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        offset = f.tell()
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    # Readahead would map (and count in the server's memory) far more than is used.
    if _read_at_random(path.stem):
        mapped.madvise(mmap.MADV_RANDOM)
    count = int(np.prod(shape))
    return np.frombuffer(mapped, dtype=dtype, count=count, offset=offset).reshape(shape)


def _load_array(folder: Path, name: str, dtype: Any) -> np.ndarray:
    try:
        values = _map_npy(folder / f"{name}.npy")
    except FileNotFoundError as exc:
        raise IndexUnreadable(f"{name}.npy is missing") from exc
    except (OSError, ValueError) as exc:
        raise IndexUnreadable(f"{name}.npy is damaged: {exc}") from exc
    if values.ndim != 1 or (dtype is not None and values.dtype != dtype):
        raise IndexUnreadable(f"{name}.npy has shape {values.shape} and type {values.dtype}")
    return values


def _check_ptr(ptr: np.ndarray, count: int, end: int, name: str) -> None:
    if len(ptr) != count + 1 or ptr[0] != 0 or ptr[-1] != end:
        raise IndexUnreadable(f"{name} disagrees with the lengths of the other arrays")


def _load_generation(folder: Path) -> Index:
    try:
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexUnreadable(f"{_META} is missing") from exc
    except (OSError, ValueError) as exc:
        raise IndexUnreadable(f"{_META} is damaged: {exc}") from exc
    if not isinstance(meta, dict):
        raise IndexUnreadable(f"{_META} is damaged")
    if meta.get("format_version") != FORMAT_VERSION:
        raise IndexUnreadable(
            f"format version {meta.get('format_version')}, this hoidap reads {FORMAT_VERSION}"
        )
    try:
        parameters = meta["parameters"]
        pipeline_version = int(meta["pipeline_version"])
        terms = [str(t) for t in meta["vocabulary"]]
        fingerprint = str(meta["fingerprint"])
        abbreviations = {str(k): str(v) for k, v in meta["abbreviations"].items()}
        passage_sentences = int(parameters["passage_sentences"])
        k1, b, epsilon = (float(parameters[key]) for key in ("k1", "b", "epsilon"))
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexUnreadable(f"{_META} lacks or garbles {exc}") from exc
    vocab = {term: i for i, term in enumerate(terms)}
    if len(vocab) != len(terms):
        raise IndexUnreadable("the vocabulary repeats terms")

    arrays = {name: _load_array(folder, name, dtype) for name, dtype in _ARRAYS.items()}
    record_ptr = _load_array(folder, _RECORD_PTR, np.int64)
    record_blob = _load_array(folder, _RECORD_BLOB, np.uint8)
    if len(record_ptr) == 0:
        raise IndexUnreadable("document records are empty")
    _check_ptr(record_ptr, len(record_ptr) - 1, len(record_blob), "document records")
    n_sentences = len(arrays["sentence_doc"])
    if not (len(arrays["sentence_start"]) == len(arrays["sentence_end"]) == n_sentences):
        raise IndexUnreadable("sentence arrays have different lengths")
    # Sentences are in document order, so the last one names the highest document.
    if n_sentences and not 0 <= arrays["sentence_doc"][-1] < len(record_ptr) - 1:
        raise IndexUnreadable("sentences name more documents than are recorded")
    _check_ptr(
        arrays["sentence_text_ptr"], n_sentences, len(arrays["sentence_text_blob"]), "text offsets"
    )
    _check_ptr(
        arrays["sentence_term_ptr"], n_sentences, len(arrays["sentence_term_ids"]), "term offsets"
    )
    passage_ptr = arrays["passage_sentence_ptr"]
    if len(passage_ptr) == 0:
        raise IndexUnreadable("passage offsets are empty")
    _check_ptr(passage_ptr, len(passage_ptr) - 1, n_sentences, "passage offsets")
    try:
        bm25 = BM25.from_arrays(
            {name: _load_array(folder, f"bm25_{name}", None) for name in BM25.ARRAY_NAMES},
            k1,
            b,
            epsilon,
        )
    except ValueError as exc:
        raise IndexUnreadable(f"BM25 arrays are inconsistent: {exc}") from exc
    if bm25.n_terms != len(vocab) or bm25.n_docs != len(passage_ptr) - 1:
        raise IndexUnreadable("BM25 arrays do not match the vocabulary or the passages")
    if len(arrays["document_idf"]) != len(vocab):
        raise IndexUnreadable("document idf does not match the vocabulary")
    return Index(
        documents=_Records(record_ptr, record_blob, _document_of),
        vocab=vocab,
        fingerprint=fingerprint,
        passage_sentences=passage_sentences,
        bm25=bm25,
        document_stamps=_Records(record_ptr, record_blob, _stamp_of),
        pipeline_version=pipeline_version,
        abbreviations=abbreviations,
        **arrays,
    )


def load_index(path: Path) -> Index:
    """Open the index saved at `path` as memory maps; raises IndexMissing when none was
    saved there and IndexUnreadable when it cannot be used."""
    pointer = path / _CURRENT
    try:
        generation = pointer.read_text(encoding="ascii").strip()
    except FileNotFoundError as exc:
        raise IndexMissing(f"no index at {path}") from exc
    except (OSError, ValueError) as exc:
        raise IndexUnreadable(f"{_CURRENT} is damaged: {exc}") from exc
    if not generation.startswith(_GENERATION_PREFIX) or "/" in generation:
        raise IndexUnreadable(f"{_CURRENT} names no generation")
    try:
        return _load_generation(path / generation)
    except IndexUnreadable:
        # A concurrent save may have swapped generations and deleted ours mid-load.
        with contextlib.suppress(OSError, ValueError):
            if pointer.read_text(encoding="ascii").strip() != generation:
                return load_index(path)
        raise


def corpus_fingerprint(files: list[Path]) -> str:
    """A digest of each file's absolute path, size and mtime plus the index and pipeline
    versions: a stat per file, so it is cheap to check at every start."""
    digest = hashlib.sha256(f"hoidap {FORMAT_VERSION} {PIPELINE_VERSION}\n".encode())
    for file in files:
        stat = file.stat()
        digest.update(f"{file.absolute()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def cache_root() -> Path:
    """hoidap's folder in the user cache: $XDG_CACHE_HOME/hoidap, else ~/.cache/hoidap."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hoidap"


def default_index_path(corpus: Path) -> Path:
    key = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:16]
    return cache_root() / f"index-{key}"


def _print_notice(message: str) -> None:
    print(message, file=sys.stderr)


def open_index(
    corpus: Path,
    index_path: Path | None = None,
    notice: Callable[[str], None] = _print_notice,
    passage_sentences: int = 3,
    workers: int | None = None,
) -> Index:
    """The index of the corpus folder `corpus`, loaded from `index_path` (default: the user
    cache) when it is current, otherwise updated (only new and changed files are read),
    saved and loaded. Building uses `workers` processes (default: one per available core).
    Raises CorpusError for an unusable corpus folder."""
    # Fingerprinting before reading means a file changed during the build leaves a stale
    # fingerprint behind, which triggers a rebuild next time rather than hiding the change.
    files = corpus_files(corpus)
    fingerprint = corpus_fingerprint(files)
    path = index_path or default_index_path(corpus)
    previous: Index | None = None
    try:
        previous = load_index(path)
    except IndexMissing:
        pass
    except IndexUnreadable as exc:
        reason = " ".join(str(exc).split())
        notice(f"index at {path} is unreadable ({reason}), rebuilding")
    else:
        if previous.fingerprint == fingerprint and previous.passage_sentences == passage_sentences:
            return previous
        notice("corpus changed, rebuilding index")
    built = update_index(
        corpus, files, fingerprint, previous, passage_sentences, progress=notice, workers=workers
    )
    save_index(built, path)
    return load_index(path)
