"""Saving an index as a new generation folder swapped in atomically, and loading one as
memory maps with its arrays checked against each other."""

import contextlib
import fcntl
import json
import mmap
import os
import secrets
import shutil
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.bm25 import BM25
from retrieval.index.checksums import (
    LOAD_BUDGET,
    Sums,
    check_file,
    check_size,
    checked,
    file_sums,
    parse_sums,
)
from retrieval.index.folder import (
    CURRENT,
    GENERATION_PREFIX,
    LOCK,
    claim_folder,
    is_generation,
    remove_stale,
)
from retrieval.index.model import (
    ARRAYS,
    FORMAT_VERSION,
    RECORD_BLOB,
    RECORD_PTR,
    Index,
    IndexMissing,
    IndexUnreadable,
)
from retrieval.index.reading import default_workers
from retrieval.index.records import Records, document_of, document_records, stamp_of

_META = "index.json"

# Arrays read at random stay in the page cache after a save when they take no more than
# this in all: a server's first questions then read no sentence from disk (first-pass
# search p50 at 100k passages, 90 MB of them: 1.5-1.6 ms cached, 2.2-3.0 ms dropped),
# and all of them in its memory cost little. Larger ones are dropped (see `_write_file`).
_KEEP_CACHED = 256 << 20


def _all_arrays(index: Index) -> dict[str, np.ndarray]:
    arrays = {name: getattr(index, name) for name in ARRAYS}
    arrays[RECORD_PTR], arrays[RECORD_BLOB] = document_records(index)
    arrays.update({f"bm25_{name}": a for name, a in index.bm25.arrays().items()})
    return arrays


def _read_at_random(name: str) -> bool:
    """Sentence arrays and document records are read a few rows at a time, wherever the
    candidate documents lie; postings are read whole, term by term, so readahead and
    caching serve them well."""
    return name.startswith(("sentence_", "document_record_"))


def _write_file(path: Path, write: Callable[[Any], None], keep_cached: bool = True) -> Sums:
    """Write, sync and checksum the file `path`; its checksums are returned."""
    with open(path, "wb") as f:
        write(f)
        f.flush()
        # Summed from the page cache before it is dropped below.
        sums = file_sums(path)
        os.fsync(f.fileno())
        if not keep_cached and hasattr(os, "posix_fadvise"):  # not on macOS
            # Pages just written stay cached in large folios (up to 2 MB here), and a
            # server that maps the file gets a whole folio at each first touch: at 1M
            # passages, most of the sentence arrays end up in its memory for a few rows
            # each. Dropped, they are read back a page at a time when needed.
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    return sums


def _write_array(path: Path, values: np.ndarray, keep_cached: bool) -> Sums:
    return _write_file(path, lambda f: np.save(f, np.ascontiguousarray(values)), keep_cached)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Serialises savers so one never deletes a generation another is still writing.
    with open(path / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def save_index(index: Index, path: Path) -> None:
    """Store `index` under the directory `path`, replacing any previous index atomically.
    Raises IndexLocationError for a folder hoidap did not make, OSError when writing fails
    (the previous index is then left as it was)."""
    claim_folder(path)
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
        generation = f"{GENERATION_PREFIX}{secrets.token_hex(8)}"
        target = path / generation
        pointer = path / f"{CURRENT}.{generation}.tmp"
        target.mkdir()
        arrays = _all_arrays(index)
        random_bytes = sum(a.nbytes for name, a in arrays.items() if _read_at_random(name))
        try:
            # Writing and syncing release the GIL, so the files are written side by side. On
            # an error or Ctrl-C the files not yet begun are skipped, not written and removed.
            executor = ThreadPoolExecutor(default_workers())
            try:
                sums = executor.map(
                    _write_array,
                    [target / f"{name}.npy" for name in arrays],
                    arrays.values(),
                    [random_bytes <= _KEEP_CACHED or not _read_at_random(n) for n in arrays],
                )
                meta["checksums"] = dict(zip([f"{n}.npy" for n in arrays], sums, strict=True))
            finally:
                executor.shutdown(cancel_futures=True)
            meta_bytes = json.dumps(meta, ensure_ascii=False).encode("utf-8")
            _write_file(target / _META, lambda f: f.write(meta_bytes))
            _fsync_dir(target)
            # CURRENT carries index.json's checksum, index.json those of the arrays.
            line = f"{generation} {len(meta_bytes)} {zlib.crc32(meta_bytes)}"
            _write_file(pointer, lambda f: f.write(line.encode("ascii")))
            os.replace(pointer, path / CURRENT)
            _fsync_dir(path)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                pointer.unlink()
            raise
        # Earlier generations, and debris of saves that crashed, are unreachable now.
        remove_stale(path, generation)


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


# The arrays citations are made of (text, offsets, documents): when too large to check at
# load, they are checked block by block as they are read (see `checksums.CheckedArray`).
_CITED = frozenset(
    {
        "sentence_doc",
        "sentence_start",
        "sentence_end",
        "sentence_text_ptr",
        "sentence_text_blob",
        "passage_sentence_ptr",
        "document_text_ptr",
        "document_text_blob",
        RECORD_PTR,
        RECORD_BLOB,
    }
)


def _load_array(
    folder: Path, name: str, dtype: Any, unchecked: dict[str, Sums] | None = None
) -> np.ndarray:
    file = f"{name}.npy"
    try:
        values = _map_npy(folder / file)
    except FileNotFoundError as exc:
        raise IndexUnreadable(f"{name}.npy is missing") from exc
    except (OSError, ValueError) as exc:
        raise IndexUnreadable(f"{name}.npy is damaged: {exc}") from exc
    if values.ndim != 1 or (dtype is not None and values.dtype != dtype):
        raise IndexUnreadable(f"{name}.npy has shape {values.shape} and type {values.dtype}")
    if unchecked and file in unchecked and name in _CITED:
        sums = unchecked[file]
        # The data ends the file: the map starts header bytes before it.
        values = checked(values, file, values.ctypes.data - (sums["size"] - values.nbytes), sums)
    return values


def _check_ptr(ptr: np.ndarray, count: int, end: int, name: str) -> None:
    if len(ptr) != count + 1 or ptr[0] != 0 or ptr[-1] != end:
        raise IndexUnreadable(f"{name} disagrees with the lengths of the other arrays")


def _array_files() -> list[str]:
    names = [*ARRAYS, RECORD_PTR, RECORD_BLOB, *(f"bm25_{name}" for name in BM25.ARRAY_NAMES)]
    return [f"{name}.npy" for name in names]


def _check_files(folder: Path, sums: dict[str, Sums], verify: bool) -> dict[str, Sums]:
    """Sizes of all files; checksums of all (`verify`) or of the smallest within the budget.
    Returns the sums of the files left to check as they are read."""
    for name, entry in sums.items():
        check_size(folder / name, entry)
    budget = LOAD_BUDGET
    unchecked = dict(sums)
    for name, entry in sorted(sums.items(), key=lambda item: item[1]["size"]):
        if not verify and entry["size"] > budget:
            break
        budget -= entry["size"]
        check_file(folder / name, entry)
        del unchecked[name]
    return unchecked


def _read_meta(folder: Path, size: int, crc: int) -> dict[str, Any]:
    try:
        raw = (folder / _META).read_bytes()
    except FileNotFoundError as exc:
        raise IndexUnreadable(f"{_META} is missing") from exc
    except OSError as exc:
        raise IndexUnreadable(f"{_META} cannot be read: {exc.strerror}") from exc
    if len(raw) != size or zlib.crc32(raw) != crc:
        raise IndexUnreadable(f"{_META} is damaged (its checksum does not match)")
    try:
        meta = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise IndexUnreadable(f"{_META} is damaged: {exc}") from exc
    if not isinstance(meta, dict):
        raise IndexUnreadable(f"{_META} is damaged")
    return meta


def _load_generation(folder: Path, size: int, crc: int, verify: bool) -> Index:
    meta = _read_meta(folder, size, crc)
    if meta.get("format_version") != FORMAT_VERSION:
        raise IndexUnreadable(
            f"format version {meta.get('format_version')}, this hoidap reads {FORMAT_VERSION}"
        )
    unchecked = _check_files(folder, parse_sums(meta.get("checksums"), _array_files()), verify)
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

    arrays = {name: _load_array(folder, name, dtype, unchecked) for name, dtype in ARRAYS.items()}
    record_ptr = _load_array(folder, RECORD_PTR, np.int64, unchecked)
    record_blob = _load_array(folder, RECORD_BLOB, np.uint8, unchecked)
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
    _check_ptr(
        arrays["document_text_ptr"],
        len(record_ptr) - 1,
        len(arrays["document_text_blob"]),
        "document texts",
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
        documents=Records(record_ptr, record_blob, document_of),
        vocab=vocab,
        fingerprint=fingerprint,
        passage_sentences=passage_sentences,
        bm25=bm25,
        document_stamps=Records(record_ptr, record_blob, stamp_of),
        pipeline_version=pipeline_version,
        abbreviations=abbreviations,
        **arrays,
    )


def _read_pointer(pointer: Path) -> tuple[str, int, int]:
    """CURRENT's generation and the size and CRC-32 of its index.json."""
    try:
        fields = pointer.read_text(encoding="ascii").split()
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise IndexUnreadable(f"{CURRENT} is damaged: {exc}") from exc
    if len(fields) != 3 or not is_generation(fields[0]) or not all(map(str.isdigit, fields[1:])):
        raise IndexUnreadable(f"{CURRENT} names no generation of this hoidap's format")
    return fields[0], int(fields[1]), int(fields[2])


def load_index(path: Path, verify: bool = False) -> Index:
    """Open the index saved at `path` as memory maps; raises IndexMissing when none was
    saved there and IndexUnreadable when it cannot be used. Every file's checksum is
    checked with `verify`, else those of the small files only (see `checksums`)."""
    pointer = path / CURRENT
    try:
        generation, size, crc = _read_pointer(pointer)
    except FileNotFoundError as exc:
        raise IndexMissing(f"no index at {path}") from exc
    try:
        return _load_generation(path / generation, size, crc, verify)
    except IndexUnreadable:
        # A concurrent save may have swapped generations and deleted ours mid-load.
        with contextlib.suppress(OSError, IndexUnreadable):
            if _read_pointer(pointer)[0] != generation:
                return load_index(path, verify)
        raise


def stored_bytes(path: Path) -> int:
    """The space the files of the index at `path` take on disk (0 when there is none)."""
    with contextlib.suppress(OSError, IndexUnreadable):
        folder = path / _read_pointer(path / CURRENT)[0]
        return sum(entry.stat().st_blocks * 512 for entry in folder.iterdir())
    return 0
