"""Where an index lives, whether it is current, and opening (building when needed) it."""

import hashlib
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from retrieval.documents import corpus_files
from retrieval.index.build import update_index
from retrieval.index.folder import check_folder, record_corpus
from retrieval.index.model import (
    FORMAT_VERSION,
    PIPELINE_VERSION,
    Index,
    IndexMissing,
    IndexNotSaved,
    IndexUnreadable,
)
from retrieval.index.storage import load_index, save_index, stored_bytes


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
    cache) when it is current, otherwise updated (only new and changed files are read),
    saved and loaded. Building uses `workers` processes (default: one per available core).
    `verify` checks every stored file's checksum rather than the small files' only.

    Where the index cannot be saved (read-only place, full disk), one notice says so and
    the old index keeps answering (or, with none, the one built in memory); with
    `must_save` (`hoidap index`) that raises IndexNotSaved instead. Raises CorpusError for
    an unusable corpus folder, IndexLocationError for an index path hoidap may not use."""
    path = index_path or default_index_path(corpus)
    check_folder(path)
    # Fingerprinting before reading means a file changed during the build leaves a stale
    # fingerprint behind, which triggers a rebuild next time rather than hiding the change.
    files = corpus_files(corpus)
    fingerprint = corpus_fingerprint(files)
    previous: Index | None = None
    try:
        previous = load_index(path, verify=verify)
    except IndexMissing:
        pass
    except IndexUnreadable as exc:
        reason = " ".join(str(exc).split())
        notice(f"index at {path} is unreadable ({reason}), rebuilding")
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
        notice("corpus changed, rebuilding index")
    built = update_index(
        corpus, files, fingerprint, previous, passage_sentences, progress=notice, workers=workers
    )
    try:
        save_index(built, path)
        record_corpus(path, corpus)
    except OSError as exc:
        if must_save:
            raise IndexNotSaved(_save_failed(path, exc)) from exc
        notice(f"{_save_failed(path, exc)}; answering from the index built in memory")
        return built
    return load_index(path)
