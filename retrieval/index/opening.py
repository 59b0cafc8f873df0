"""Where an index lives, whether it is current, and opening (building when needed) it."""

import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from retrieval.documents import corpus_files
from retrieval.index.build import update_index
from retrieval.index.model import (
    FORMAT_VERSION,
    PIPELINE_VERSION,
    Index,
    IndexMissing,
    IndexUnreadable,
)
from retrieval.index.storage import load_index, save_index


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
