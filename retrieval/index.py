"""The search index: segmented sentences, passages and BM25, built once and kept on disk.

Segmenting with pyvi is the slow part (about 0.3 ms a sentence), so the index is built
once per corpus state and reloaded as memory maps afterwards; answering never re-reads
the corpus files. A cheap fingerprint of the corpus files (paths, sizes, mtimes) decides
whether the stored index is still current.

On disk an index is a directory holding generation directories `gen-*` (`.npy` arrays
plus `index.json`) and a `CURRENT` file naming the live one. A save writes a complete new
generation and then replaces `CURRENT` atomically, so a crash at any point leaves either
the old or the new index, never a half-written one.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import sys
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.bm25 import BM25
from retrieval.documents import Document, ParsedDocument, corpus_files, load_corpus
from retrieval.tokenizer import index_terms

FORMAT_VERSION = 1
# Bump whenever the terms produced for a text change (normaliser, segmenter, filtering):
# old indexes then no longer match the fingerprint and are rebuilt.
PIPELINE_VERSION = 1

_CURRENT = "CURRENT"
_META = "index.json"
_LOCK = "lock"
_GENERATION_PREFIX = "gen-"
# Progress at least every 5000 sentences, but no more than about 20 lines per build.
_PROGRESS_MIN_STEP = 5000

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
}


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

    documents: list[Document]
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


def build_index(
    documents: list[ParsedDocument],
    fingerprint: str,
    passage_sentences: int = 3,
    progress: Callable[[str], None] | None = None,
) -> Index:
    """Segment, assign term ids, cut passages and build BM25 over them."""
    if passage_sentences < 1:
        raise ValueError("passage_sentences must be at least 1")
    total = sum(len(parsed.sentences) for parsed in documents)
    progress_step = max(_PROGRESS_MIN_STEP, total // 20)
    vocab: dict[str, int] = {}
    # News pages repeat headlines, bylines and captions; pyvi runs once per distinct text
    # and repeats copy the term ids of the first occurrence.
    first_seen: dict[str, int] = {}
    sentence_doc = array("i")
    sentence_start = array("q")
    sentence_end = array("q")
    text_ptr = array("q", [0])
    text_blob = bytearray()
    term_ptr = array("q", [0])
    term_ids = array("i")
    passage_ptr = array("q", [0])

    for doc_index, parsed in enumerate(documents):
        first_of_doc = len(sentence_doc)
        for sentence in parsed.sentences:
            i = len(sentence_doc)
            seen = first_seen.get(sentence.text)
            if seen is None:
                first_seen[sentence.text] = i
                term_ids.extend(
                    vocab.setdefault(term, len(vocab)) for term in index_terms(sentence.text)
                )
            else:
                term_ids.extend(term_ids[term_ptr[seen] : term_ptr[seen + 1]])
            term_ptr.append(len(term_ids))
            text_blob += sentence.text.encode("utf-8")
            text_ptr.append(len(text_blob))
            sentence_doc.append(doc_index)
            sentence_start.append(sentence.start)
            sentence_end.append(sentence.end)
            if progress is not None and (i + 1) % progress_step == 0:
                progress(f"indexing: {i + 1}/{total} sentences segmented")
        end_of_doc = len(sentence_doc)
        passage_ptr.extend(range(first_of_doc + passage_sentences, end_of_doc, passage_sentences))
        if end_of_doc > first_of_doc:
            passage_ptr.append(end_of_doc)

    arrays = {
        "sentence_doc": sentence_doc,
        "sentence_start": sentence_start,
        "sentence_end": sentence_end,
        "sentence_text_ptr": text_ptr,
        "sentence_text_blob": text_blob,
        "sentence_term_ptr": term_ptr,
        "sentence_term_ids": term_ids,
        "passage_sentence_ptr": passage_ptr,
    }
    np_arrays = {name: np.frombuffer(arrays[name], dtype=dtype) for name, dtype in _ARRAYS.items()}
    passage_ptr_np = np_arrays["passage_sentence_ptr"]
    # A passage's terms are its sentences' terms back to back, and passages are contiguous
    # runs of sentences, so the sentence term array already is the passage CSR.
    bm25 = BM25.build(
        np_arrays["sentence_term_ptr"][passage_ptr_np], np_arrays["sentence_term_ids"], len(vocab)
    )
    if progress is not None:
        progress(
            f"indexed {len(documents)} documents: {total} sentences "
            f"({len(first_seen)} distinct), {len(passage_ptr) - 1} passages, {len(vocab)} terms"
        )
    return Index(
        documents=[parsed.document for parsed in documents],
        vocab=vocab,
        fingerprint=fingerprint,
        passage_sentences=passage_sentences,
        bm25=bm25,
        **np_arrays,
    )


def _all_arrays(index: Index) -> dict[str, np.ndarray]:
    arrays = {name: getattr(index, name) for name in _ARRAYS}
    arrays.update({f"bm25_{name}": a for name, a in index.bm25.arrays().items()})
    return arrays


def _write_file(path: Path, write: Callable[[Any], None]) -> None:
    with open(path, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())


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
        "pipeline_version": PIPELINE_VERSION,
        "fingerprint": index.fingerprint,
        "parameters": {
            "passage_sentences": index.passage_sentences,
            "k1": bm25.k1,
            "b": bm25.b,
            "epsilon": bm25.epsilon,
        },
        "documents": [
            {"doc_id": d.doc_id, "title": d.title, "date": d.date, "path": str(d.path)}
            for d in index.documents
        ],
        # Ids are list positions: vocab[term] == position of term.
        "vocabulary": sorted(index.vocab, key=index.vocab.__getitem__),
    }
    with _locked(path):
        generation = f"{_GENERATION_PREFIX}{secrets.token_hex(8)}"
        target = path / generation
        pointer = path / f"{_CURRENT}.{generation}.tmp"
        target.mkdir()
        try:
            for name, values in _all_arrays(index).items():
                _write_file(
                    target / f"{name}.npy",
                    lambda f, values=values: np.save(f, np.ascontiguousarray(values)),
                )
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


def _load_array(folder: Path, name: str, dtype: Any) -> np.ndarray:
    try:
        values = np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
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
        documents = [
            Document(
                doc_id=str(d["doc_id"]),
                title=str(d["title"]),
                date=None if d["date"] is None else str(d["date"]),
                path=Path(d["path"]),
            )
            for d in meta["documents"]
        ]
        terms = [str(t) for t in meta["vocabulary"]]
        fingerprint = str(meta["fingerprint"])
        passage_sentences = int(parameters["passage_sentences"])
        k1, b, epsilon = (float(parameters[key]) for key in ("k1", "b", "epsilon"))
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexUnreadable(f"{_META} lacks or garbles {exc}") from exc
    vocab = {term: i for i, term in enumerate(terms)}
    if len(vocab) != len(terms):
        raise IndexUnreadable("the vocabulary repeats terms")

    arrays = {name: _load_array(folder, name, dtype) for name, dtype in _ARRAYS.items()}
    n_sentences = len(arrays["sentence_doc"])
    if not (len(arrays["sentence_start"]) == len(arrays["sentence_end"]) == n_sentences):
        raise IndexUnreadable("sentence arrays have different lengths")
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
    return Index(
        documents=documents,
        vocab=vocab,
        fingerprint=fingerprint,
        passage_sentences=passage_sentences,
        bm25=bm25,
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
) -> Index:
    """The index of the corpus folder `corpus`, loaded from `index_path` (default: the user
    cache) when it is current, otherwise built, saved and loaded. Raises CorpusError for an
    unusable corpus folder."""
    # Fingerprinting before reading means a file changed during the build leaves a stale
    # fingerprint behind, which triggers a rebuild next time rather than hiding the change.
    fingerprint = corpus_fingerprint(corpus_files(corpus))
    path = index_path or default_index_path(corpus)
    try:
        index = load_index(path)
    except IndexMissing:
        pass
    except IndexUnreadable as exc:
        reason = " ".join(str(exc).split())
        notice(f"index at {path} is unreadable ({reason}), rebuilding")
    else:
        if index.fingerprint == fingerprint and index.passage_sentences == passage_sentences:
            return index
        notice("corpus changed, rebuilding index")
    built = build_index(load_corpus(corpus), fingerprint, passage_sentences, progress=notice)
    save_index(built, path)
    return load_index(path)
