"""Where an index lives, whether it is current, and opening (building when needed) it."""

import hashlib
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from retrieval.documents import corpus_files
from retrieval.index.build import update_index
from retrieval.index.folder import check_folder, record_corpus
from retrieval.index.live import LiveIndex
from retrieval.index.model import (
    FORMAT_VERSION,
    PIPELINE_VERSION,
    Index,
    IndexNotSaved,
    IndexUnreadable,
)
from retrieval.index.segments import WriterBusy, load_live
from retrieval.index.storage import stored_bytes
from retrieval.index.writer import IndexWriter

# How long a process waits for the watcher that writes the index to apply the corpus's
# latest changes (files still being written make it wait longer), before reading anyway.
_CATCH_UP_SECONDS = 10.0


def corpus_fingerprint(files: list[Path]) -> str:
    """A digest of each file's absolute path, size and mtime plus the index and pipeline
    versions: a stat per file, so it is cheap to check at every start."""
    stamps = {}
    for file in files:
        stat = file.stat()
        stamps[file.absolute()] = (stat.st_size, stat.st_mtime_ns)
    return fingerprint_of(stamps)


def fingerprint_of(stamps: Mapping[Path, tuple[int, int] | None]) -> str:
    """`corpus_fingerprint` of files already stamped (absolute path -> (size, mtime_ns), in
    listing order); a file gone since it was listed (None) makes it no corpus's."""
    digest = hashlib.sha256(f"hoidap {FORMAT_VERSION} {PIPELINE_VERSION}\n".encode())
    for path, stamp in stamps.items():
        size, mtime = stamp if stamp is not None else ("gone", "gone")
        digest.update(f"{path}\0{size}\0{mtime}\n".encode())
    return digest.hexdigest()


def cache_root() -> Path:
    """hoidap's folder in the user cache: $XDG_CACHE_HOME/hoidap, else ~/.cache/hoidap."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hoidap"


def default_index_path(corpus: Path) -> Path:
    key = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:16]
    return cache_root() / f"index-{key}"


def _print_notice(message: str) -> None:
    print(message, file=sys.stderr)


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n >> 10} KB"


def _cannot_update(path: Path) -> str | None:
    """Why a new index could not be saved at `path` (read-only, too little free space), or
    None: checked before a rebuild that would only fail at the end, at every question."""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY or not os.access(path, os.W_OK):
            return "the folder is read-only"
        free = shutil.disk_usage(path).free
    except OSError as exc:
        return exc.strerror or str(exc)
    needed = stored_bytes(path)
    if free < needed:
        return f"{_size(free)} free, the index takes about {_size(needed)}"
    return None


def _save_failed(path: Path, exc: OSError) -> str:
    reason = exc.strerror or " ".join(str(exc).split())
    return (
        f"cannot save the index in {path} ({reason}): make the folder writable or free "
        "space there, or give another folder with --index"
    )


def open_index(
    corpus: Path,
    index_path: Path | None = None,
    notice: Callable[[str], None] = _print_notice,
    passage_sentences: int = 3,
    workers: int | None = None,
    verify: bool = False,
    must_save: bool = False,
) -> Index:
    """The index of the corpus folder `corpus`, loaded from `index_path` (default: the user
    cache) when it is current, otherwise updated: new and changed files are read into a new
    segment, changed and removed ones marked deleted (see `writer`). Building uses `workers`
    processes (default: one per available core). `verify` checks every stored file's
    checksum rather than the small files' only.

    Where the index cannot be saved (read-only place, full disk), one notice says so and
    the old index keeps answering (or, with none, the one built in memory); with
    `must_save` (`hoidap index`) that raises IndexNotSaved instead. Raises CorpusError for
    an unusable corpus folder, IndexLocationError for an index path hoidap may not use."""
    path = index_path or default_index_path(corpus)
    check_folder(path)
    # Fingerprinting before reading means a file changed during the build leaves a stale
    # fingerprint behind, which triggers an update next time rather than hiding the change.
    files = corpus_files(corpus)
    fingerprint = corpus_fingerprint(files)
    previous: LiveIndex | None = None
    try:
        previous = load_live(path, verify=verify)
    except IndexUnreadable:  # missing too: the writer says why it rebuilds
        pass
    else:
        if previous.fingerprint == fingerprint and previous.passage_sentences == passage_sentences:
            return previous
        problem = _cannot_update(path)
        if problem is not None:
            message = (
                f"the corpus changed but the index in {path} cannot be updated ({problem}): "
                "make the folder writable or free space there, or give another folder with "
                "--index"
            )
            if must_save:
                raise IndexNotSaved(message)
            notice(f"{message}; answering from the old index")
            return previous
    try:
        index = _update(corpus, path, files, passage_sentences, workers, notice, verify)
        record_corpus(path, corpus)
        return index
    except OSError as exc:
        if must_save:
            raise IndexNotSaved(_save_failed(path, exc)) from exc
        if previous is not None:
            notice(f"{_save_failed(path, exc)}; answering from the old index")
            return previous
        notice(f"{_save_failed(path, exc)}; answering from the index built in memory")
        return update_index(
            corpus, files, fingerprint, None, passage_sentences, progress=notice, workers=workers
        )


def _update(
    corpus: Path,
    path: Path,
    files: list[Path],
    passage_sentences: int,
    workers: int | None,
    notice: Callable[[str], None],
    verify: bool,
) -> LiveIndex:
    try:
        writer = IndexWriter(corpus, path, passage_sentences, workers, notice, verify=verify)
    except WriterBusy:
        # A watcher (the bot, `hoidap index --watch`) keeps this index current: read what
        # it commits once it has caught up with the corpus, or wait for its first build.
        fingerprint = corpus_fingerprint(files)
        deadline = time.monotonic() + _CATCH_UP_SECONDS
        while True:
            try:
                current = load_live(path, verify=verify)
            except IndexUnreadable:
                break
            if current.fingerprint == fingerprint or time.monotonic() > deadline:
                return current
            time.sleep(0.1)
        writer = IndexWriter(
            corpus, path, passage_sentences, workers, notice, verify=verify, wait=True
        )
    with writer:
        changes = writer.update(files)
        if changes.added or changes.removed:
            notice(
                f"corpus changed: {changes.added} files read, {changes.removed} documents "
                "removed, index updated"
            )
        writer.merge()
        return writer.index
