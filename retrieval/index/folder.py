"""The index folder: a marker file says hoidap made it, so hoidap writes and deletes only in
folders it made, and there only the names it gives its own files.

`hoidap index --index DIR` once deleted every `gen-*` folder in DIR, someone else's files
included. Now a save refuses a non-empty folder without the marker (an index folder of an
hoidap from before the marker is recognised by its exact layout and adopted), and deletes
only generation folders and pointer files named as hoidap names them.
"""

import re
import shutil
from pathlib import Path

from retrieval.index.model import IndexLocationError

MARKER = "HOIDAP-INDEX"
_MARKER_TEXT = (
    "This folder holds a hoidap search index. hoidap replaces and deletes the seg-*, gen-*\n"
    "folders and the LIVE, manifest-*, del-* and CURRENT files here; delete the whole folder\n"
    "to drop the index.\n"
)
CURRENT = "CURRENT"
LOCK = "lock"
GENERATION_PREFIX = "gen-"
_GENERATION = re.compile(r"gen-[0-9a-f]{16}")
_POINTER = re.compile(r"CURRENT\.gen-[0-9a-f]{16}\.tmp")


def is_generation(name: str) -> bool:
    return _GENERATION.fullmatch(name) is not None


def _old_layout(entries: list[Path]) -> bool:
    """An index folder written before the marker existed: CURRENT, lock, generation folders
    holding only index.json and .npy files, pointer files; nothing else."""
    if not any(entry.name == CURRENT for entry in entries):
        return False
    for entry in entries:
        if entry.name in (CURRENT, LOCK) or _POINTER.fullmatch(entry.name):
            continue
        if not (is_generation(entry.name) and entry.is_dir() and not entry.is_symlink()):
            return False
        for inner in entry.iterdir():
            if not (inner.name == "index.json" or inner.suffix == ".npy") or inner.is_dir():
                return False
    return True


def check_folder(path: Path) -> None:
    """Raise IndexLocationError unless hoidap may keep an index at `path`: a folder that is
    missing, empty, marked as hoidap's, or an old hoidap index folder."""
    if path.exists() and not path.is_dir():
        raise IndexLocationError(f"the index path {path} is a file, not a folder")
    try:
        entries = list(path.iterdir())
    except FileNotFoundError:
        return
    if not entries or (path / MARKER).is_file() or _old_layout(entries):
        return
    raise IndexLocationError(
        f"{path} is not empty and holds no hoidap index: give --index a new or empty folder"
    )


def claim_folder(path: Path) -> None:
    """Create `path` if needed and mark it as an index folder (after `check_folder`)."""
    check_folder(path)
    path.mkdir(parents=True, exist_ok=True)
    marker = path / MARKER
    if not marker.is_file():
        marker.write_text(_MARKER_TEXT, encoding="utf-8")


_CORPUS_LINE = "corpus: "


def record_corpus(path: Path, corpus: Path) -> None:
    """Note in the marker which corpus folder the index is of (for `hoidap cache list`)."""
    marker = path / MARKER
    text = f"{_MARKER_TEXT}{_CORPUS_LINE}{corpus.absolute()}\n"
    if marker.read_text(encoding="utf-8") != text:
        marker.write_text(text, encoding="utf-8")


def recorded_corpus(path: Path) -> Path | None:
    try:
        lines = (path / MARKER).read_text(encoding="utf-8").splitlines()
    except (OSError, ValueError):
        return None
    for line in lines:
        if line.startswith(_CORPUS_LINE):
            return Path(line[len(_CORPUS_LINE) :])
    return None


def remove_stale(path: Path, live: str) -> None:
    """Delete the generations other than `live` and pointer files of crashed saves."""
    for entry in path.iterdir():
        if is_generation(entry.name) and entry.name != live and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        elif _POINTER.fullmatch(entry.name):
            entry.unlink(missing_ok=True)
