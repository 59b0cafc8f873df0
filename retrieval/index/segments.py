"""The folder of a live index: segments, deletions and the manifest naming the live set.

    LIVE                      names the live manifest
    manifest-<id>.json        the segments in order, each with its deletions file
    seg-<id>/                 a segment: an index folder as `storage` writes it
    del-<id>.npy              a segment's deleted document ids (ascending int64)
    writer.lock               held by the one process that changes the folder

Nothing is ever changed in place. A commit writes its new files, syncs them, then writes
a new manifest and replaces LIVE atomically: a crash at any point, mid-merge too, leaves
LIVE naming a complete manifest whose files are all there. Files no manifest names any
more (replaced, or left by a crash) are removed by the writer after its next commit;
readers that still map them keep reading them, as Linux keeps unlinked files alive.
"""

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from retrieval.index import folder, storage
from retrieval.index.live import LiveIndex, Segment, live_index
from retrieval.index.model import Index, IndexMissing, IndexUnreadable
from retrieval.index.storage import _fsync_dir, _write_file, save_index

LIVE = "LIVE"
WRITER_LOCK = "writer.lock"
_MANIFEST, _SEGMENT, _DELETIONS = "manifest-", "seg-", "del-"
LIVE_FORMAT = 1
# Exactly the names hoidap gives (see `folder`): nothing else is ever deleted here.
_OURS = re.compile(r"(seg-|del-|manifest-|LIVE\.manifest-)[0-9a-f]{16}(\.npy|\.json(\.tmp)?)?")


@dataclass(frozen=True)
class Manifest:
    fingerprint: str
    # (segment folder, deletions file or None), in document order.
    segments: tuple[tuple[str, str | None], ...]


def _new_name(prefix: str, suffix: str = "") -> str:
    return f"{prefix}{secrets.token_hex(8)}{suffix}"


def segment_name() -> str:
    return _new_name(_SEGMENT)


def write_segment(path: Path, index: Index, name: str | None = None) -> str:
    """Store `index` as a new segment of the folder `path`; returns its name."""
    name = name or segment_name()
    save_index(index, path / name)
    return name


def write_deletions(path: Path, deleted: np.ndarray) -> str:
    name = _new_name(_DELETIONS, ".npy")
    values = np.ascontiguousarray(deleted, dtype=np.int64)
    _write_file(path / name, lambda f: np.save(f, values))
    return name


def commit(path: Path, manifest: Manifest) -> str:
    """Make `manifest` (whose files are written) the live one; returns its name."""
    name = _new_name(_MANIFEST, ".json")
    body = {
        "format": LIVE_FORMAT,
        "fingerprint": manifest.fingerprint,
        "segments": [list(entry) for entry in manifest.segments],
    }
    _write_file(path / name, lambda f: f.write(json.dumps(body).encode("utf-8")))
    pointer = path / f"{LIVE}.{name}.tmp"
    _write_file(pointer, lambda f: f.write(name.encode("ascii")))
    _fsync_dir(path)
    os.replace(pointer, path / LIVE)
    _fsync_dir(path)
    return name


def remove_unreferenced(
    path: Path, manifest: str, kept: Manifest, writing: frozenset[str] = frozenset()
) -> None:
    """Remove what the live manifest does not name: replaced segments and deletions, older
    manifests, debris of crashed commits and the files of the old one-generation layout;
    not the segments in `writing` (a merge in progress). Only the writer calls this,
    holding the writer lock."""
    names = {manifest, LIVE, WRITER_LOCK, *writing}
    for segment, deletions in kept.segments:
        names.add(segment)
        if deletions:
            names.add(deletions)
    for entry in path.iterdir():
        if entry.name in names or entry.is_symlink():
            continue
        if _OURS.fullmatch(entry.name):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    # An index of the one-generation layout (format 8 and before) that this one replaced.
    folder.remove_stale(path, "")
    for name in (folder.CURRENT, folder.LOCK):
        (path / name).unlink(missing_ok=True)


def live_manifest(path: Path) -> str:
    """The name of the live manifest; IndexMissing when none was committed."""
    try:
        name = (path / LIVE).read_text(encoding="ascii").strip()
    except FileNotFoundError as exc:
        if (path / folder.CURRENT).exists():
            raise IndexUnreadable("an index of an older format") from exc
        raise IndexMissing(f"no index at {path}") from exc
    except (OSError, ValueError) as exc:
        raise IndexUnreadable(f"{LIVE} is damaged: {exc}") from exc
    if not name.startswith(_MANIFEST) or "/" in name:
        raise IndexUnreadable(f"{LIVE} names no manifest")
    return name


def read_manifest(path: Path, name: str) -> Manifest:
    try:
        body = json.loads((path / name).read_text(encoding="utf-8"))
        if body["format"] != LIVE_FORMAT:
            raise IndexUnreadable(f"live index format {body['format']}, this hoidap reads 1")
        segments = tuple((str(s), None if d is None else str(d)) for s, d in body["segments"])
        fingerprint = str(body["fingerprint"])
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexUnreadable(f"{name} is damaged: {exc}") from exc
    if not segments or any(s.count("/") or (d and d.count("/")) for s, d in segments):
        raise IndexUnreadable(f"{name} names no segments")
    return Manifest(fingerprint, segments)


class SegmentCache:
    """Segments and deletions already loaded, so that a new state loads only what is new."""

    def __init__(self) -> None:
        self._indexes: dict[str, Index] = {}
        self._segments: dict[tuple[str, str | None], Segment] = {}

    def segment(self, path: Path, name: str, deletions: str | None, verify: bool) -> Segment:
        key = (name, deletions)
        found = self._segments.get(key)
        if found is None:
            index = self._indexes.get(name) or storage.load_index(path / name, verify)
            deleted = np.zeros(0, dtype=np.int64)
            if deletions:
                try:
                    deleted = np.load(path / deletions, allow_pickle=False)
                except FileNotFoundError:
                    raise
                except (OSError, ValueError) as exc:
                    raise IndexUnreadable(f"{deletions} is damaged: {exc}") from exc
                if deleted.ndim != 1 or (len(deleted) and deleted[-1] >= len(index.documents)):
                    raise IndexUnreadable(f"{deletions} names documents {name} lacks")
            self._indexes[name] = index
            found = self._segments[key] = Segment(name, index, deleted.astype(np.int64), deletions)
        return found

    def keep_only(self, segments: list[Segment]) -> None:
        """Forget what `segments` (the newest state) no longer uses."""
        self._segments = {(s.name, s.deletions): s for s in segments}
        self._indexes = {s.name: s.index for s in segments}


def load_live(path: Path, cache: SegmentCache | None = None, verify: bool = False) -> LiveIndex:
    """The live index stored at `path`. Raises IndexMissing when there is none and
    IndexUnreadable when it cannot be used; `verify` checks every file's checksum."""
    cache = cache or SegmentCache()
    for attempt in range(3):
        name = live_manifest(path)
        try:
            manifest = read_manifest(path, name)
            segments = [cache.segment(path, s, d, verify) for s, d in manifest.segments]
        except (FileNotFoundError, IndexUnreadable) as exc:
            # The writer may have committed and removed what we were about to read.
            if attempt < 2 and live_manifest(path) != name:
                continue
            if isinstance(exc, IndexMissing | FileNotFoundError):
                raise IndexUnreadable(f"{name} names files that are missing") from exc
            raise
        cache.keep_only(segments)
        return live_index(segments, manifest.fingerprint, name)
    raise AssertionError("unreachable")


class WriterBusy(Exception):
    """Another process holds the index folder's writer lock."""


@contextlib.contextmanager
def writer_lock(path: Path, wait: bool = False) -> "contextlib.Generator[IO[str], None, None]":
    """The exclusive right to change the folder `path`, for as long as the block runs.
    Raises IndexLocationError for a folder hoidap did not make."""
    folder.claim_folder(path)
    with open(path / WRITER_LOCK, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise WriterBusy(f"another process is updating the index at {path}") from exc
        try:
            yield lock
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def load_index(path: Path, verify: bool = False) -> Index:
    """The index stored at `path`: a live index folder (see `load_live`), or the folder of
    one segment as `storage.save_index` writes it."""
    if (path / folder.CURRENT).exists() and not (path / LIVE).exists():
        return storage.load_index(path, verify)
    return load_live(path, verify=verify)
