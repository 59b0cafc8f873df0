"""The one writer of a live index folder: applies the corpus's changes as new segments and
deletions, and merges segments in the background.

One process at a time holds the folder's writer lock (`segments.writer_lock`) and is
the only one to change it; any number of others read it (`segments.load_live`) and
follow its commits. An update writes the changed documents' segment and the deletion
lists of the segments that lost documents, never the rest of the index.
"""

import contextlib
import dataclasses
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval import formats
from retrieval.documents import CorpusError, corpus_files
from retrieval.index import storage
from retrieval.index.build import update_index
from retrieval.index.forked import NICENESS, in_forked_child
from retrieval.index.live import LiveIndex, Segment
from retrieval.index.merging import merge_in_child, merge_plan
from retrieval.index.model import Index, IndexMissing, IndexUnreadable
from retrieval.index.reading import file_stamp
from retrieval.index.records import paths_and_stamps
from retrieval.index.segments import (
    Manifest,
    SegmentCache,
    commit,
    load_live,
    remove_unreferenced,
    segment_name,
    write_deletions,
    write_segment,
    writer_lock,
)


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _document_file(path: Path) -> bool:
    """Whether `path` is a file `corpus_files` would list (its folders being listed)."""
    if path.suffix.lower() not in formats.SUFFIXES:
        return False
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _fingerprint(files: list[Path]) -> str:
    # Imported here: `opening` opens indexes through this writer.
    from retrieval.index.opening import corpus_fingerprint

    return corpus_fingerprint(files)


def _print_notice(message: str) -> None:
    print(message, file=sys.stderr)


# Updates reading this many files or more report their progress like a build.
_REPORTED_BATCH = 100


@dataclass(frozen=True)
class _Stored:
    """Where a live document is stored, and its file's (size, mtime_ns) when read."""

    segment: str
    document: int
    stamp: tuple[int, int] | None


@dataclass(frozen=True)
class Changes:
    """What one update applied: files read, documents deleted, files left for later."""

    added: int
    removed: int
    waiting: int


class IndexWriter:
    """Holds the writer lock of `path` from `open()` to `close()`. `settle` seconds: a file
    modified more recently than that is taken to be still being written and is left for a
    later update (its older version, if any, is removed meanwhile)."""

    def __init__(
        self,
        corpus: Path,
        path: Path,
        passage_sentences: int = 3,
        workers: int | None = None,
        notice: Callable[[str], None] = _print_notice,
        settle: float = 0.0,
        wait: bool = False,
        verify: bool = False,
    ) -> None:
        self.corpus, self.path = corpus, path
        self.passage_sentences, self.workers = passage_sentences, workers
        self.notice, self.settle, self.verify = notice, settle, verify
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(writer_lock(path, wait=wait))
        self._cache = SegmentCache()
        self._stored: dict[Path, _Stored] | None = None
        # Commits (updates, and a merge's final step) one at a time; a merge's long part
        # runs outside it, so updates go on meanwhile.
        self._commits = threading.Lock()
        # Files changed too recently to be read (see `settle`), to check again.
        self.waiting: set[Path] = set()
        # Segments a merge is writing, which commits meanwhile must not remove.
        self._writing: set[str] = set()
        self.index = self._open()

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> "IndexWriter":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _open(self) -> LiveIndex:
        try:
            index = load_live(self.path, self._cache, self.verify)
        except IndexMissing:
            return self._rebuild(None)
        except IndexUnreadable as exc:
            return self._rebuild(" ".join(str(exc).split()))
        if index.passage_sentences != self.passage_sentences:
            return self._rebuild(f"passages of {index.passage_sentences} sentences")
        return index

    def _rebuild(self, reason: str | None) -> LiveIndex:
        if reason is not None:
            self.notice(f"index at {self.path} is unreadable ({reason}), rebuilding")
        files = corpus_files(self.corpus)
        fingerprint = _fingerprint(files)
        built = update_index(
            self.corpus,
            files,
            fingerprint,
            None,
            self.passage_sentences,
            progress=self.notice,
            workers=self.workers,
        )
        name = write_segment(self.path, built)
        self._commit(Manifest(fingerprint, ((name, None),)))
        self._stored = None
        return self.index

    def _commit(self, manifest: Manifest) -> None:
        name = commit(self.path, manifest)
        remove_unreferenced(self.path, name, manifest, frozenset(self._writing))
        self.index = load_live(self.path, self._cache)

    def _stored_documents(self) -> dict[Path, _Stored]:
        if self._stored is None:
            self._stored = {}
            for segment in self.index.segments:
                dead = set(segment.deleted.tolist())
                index = segment.index
                for i, (path, stamp) in enumerate(
                    paths_and_stamps(index.documents, index.document_stamps)
                ):
                    if i not in dead:
                        self._stored[path] = _Stored(segment.name, i, stamp)
        return self._stored

    def update(self, files: list[Path] | None = None, forked: bool = False) -> Changes:
        """Bring the index up to the corpus: read new and changed files into a new segment,
        mark changed and removed documents deleted. `files`: the corpus listing, when the
        caller has it. `forked`: compare the corpus with the index in a forked child (a
        serving process: at a million passages, listing and comparing 150,000 files is
        seconds of Python). Raises CorpusError when the corpus folder is unusable."""
        with self._commits:
            found = (
                in_forked_child(_compare, self, files, niceness=NICENESS)
                if forked
                else _compare(self, files)
            )
            if found is None:
                return Changes(0, 0, 0)
            fingerprint, changed = found
            self.waiting.clear()
            stored = self._stored_documents()
            changes = self._apply_stamps(changed, [p for p in changed if p in stored], fingerprint)
            if not (changes.added or changes.removed or changes.waiting):
                # Updates by events leave the fingerprint unknown; this confirms it.
                self._commit(dataclasses.replace(self._manifest(), fingerprint=fingerprint))
            return changes

    def update_paths(self, paths: Iterable[Path]) -> Changes:
        """`update` limited to `paths`, files or folders that file system events named
        (created, changed, removed, moved): nothing else of the corpus is listed. The
        corpus fingerprint is then unknown until the next `update`."""
        root = self.corpus.absolute()
        stamps: dict[Path, tuple[int, int] | None] = {}
        folders: list[Path] = []
        for path in map(Path, paths):
            path = path.absolute()
            if not path.is_relative_to(root) or _hidden(path.relative_to(root)):
                continue
            if path.is_dir():
                with contextlib.suppress(CorpusError):
                    stamps.update((f, file_stamp(f)) for f in corpus_files(path))
            else:
                stamps[path] = file_stamp(path) if _document_file(path) else None
            folders.append(path)
        with self._commits:
            stored = self._stored_documents()
            # What a removed or moved folder held is gone, with no event per file.
            prefixes = tuple(f"{folder}{os.sep}" for folder in folders)
            for path in stored:
                if path not in stamps and str(path).startswith(prefixes):
                    stamps[path] = file_stamp(path) if _document_file(path) else None
            return self._apply_stamps(stamps, [p for p in stamps if p in stored], "")

    def _apply_stamps(
        self, stamps: dict[Path, tuple[int, int] | None], known: list[Path], fingerprint: str
    ) -> Changes:
        """Apply the files of `stamps` (None: not a document file now) whose stamp differs
        from the stored one, and remove the stored documents of `known` that differ."""
        stored = self._stored_documents()
        recent = time.time_ns() - int(self.settle * 1e9)
        changed = {p: s for p, s in stamps.items() if s is not None and s != _stamp(stored, p)}
        ready = {p for p, s in changed.items() if s[1] <= recent}
        gone = [p for p in known if stamps.get(p) != stored[p].stamp]
        self.waiting.difference_update(stamps)
        self.waiting.update(p for p in changed if p not in ready)
        if ready or gone:
            self._apply(sorted(ready), gone, "" if self.waiting else fingerprint)
        return Changes(len(ready), len(gone), len(self.waiting))

    def _manifest(self) -> Manifest:
        return Manifest(
            self.index.fingerprint, tuple((s.name, s.deletions) for s in self.index.segments)
        )

    def _apply(self, ready: list[Path], gone: list[Path], fingerprint: str) -> None:
        stored = self._stored_documents()
        fresh = None
        if ready:
            try:
                fresh = update_index(
                    self.corpus,
                    ready,
                    "",
                    None,
                    self.passage_sentences,
                    # Small updates (the usual ones) say only what changed, after.
                    progress=self.notice if len(ready) >= _REPORTED_BATCH else None,
                    workers=self.workers,
                )
            except CorpusError:  # none of them readable
                fresh = None
        deleted: dict[str, list[int]] = {}
        for path in gone:
            entry = stored.pop(path)
            deleted.setdefault(entry.segment, []).append(entry.document)
        entries: list[tuple[str, str | None]] = []
        for segment in self.index.segments:
            deletions = segment.deletions
            if segment.name in deleted:
                ids = np.union1d(segment.deleted, deleted[segment.name])
                if len(ids) == len(segment.index.documents):
                    continue  # nothing left of it
                deletions = write_deletions(self.path, ids)
            entries.append((segment.name, deletions))
        if fresh is not None:
            name = write_segment(self.path, fresh)
            entries.append((name, None))
            for i, (document, stamp) in enumerate(
                zip(fresh.documents, fresh.document_stamps, strict=True)
            ):
                stored[document.path] = _Stored(name, i, stamp)
        if not entries:
            raise CorpusError(f"no readable documents in {self.corpus}")
        self._commit(Manifest(fingerprint, tuple(entries)))

    def merge(self) -> bool:
        """Merge segments when the policy (see `merging`) asks for it; False when not.
        Updates may be committed while the merged segment is being built and written."""
        with self._commits:
            snapshot = self.index
        positions = merge_plan(snapshot)
        if not positions:
            return False
        sources = [snapshot.segments[p] for p in positions]
        name = segment_name()
        with self._commits:
            self._writing.add(name)
        try:
            kept = merge_in_child(snapshot, positions, self.workers, self.path, name)
            merged = storage.load_index(self.path / name, self.verify)
            with self._commits:
                self._commit_merge(name, merged, sources, kept)
        finally:
            with self._commits:
                self._writing.discard(name)
        return True

    def _commit_merge(
        self, name: str, merged: Index, sources: list[Segment], kept: list[np.ndarray]
    ) -> None:
        """Replace `sources` by the merged segment `name`; documents deleted from them while
        the merge ran are deleted in it too."""
        current = {s.name: s for s in self.index.segments}
        dead: list[np.ndarray] = []
        offset = 0
        for source, ids in zip(sources, kept, strict=True):
            now = current.get(source.name)
            gone = ids if now is None else ids[np.isin(ids, now.deleted)]
            dead.append(offset + np.flatnonzero(np.isin(ids, gone)))
            offset += len(ids)
        merged_dead = np.concatenate(dead)
        deletions = write_deletions(self.path, merged_dead) if len(merged_dead) else None
        names = {s.name for s in sources}
        # The sources are contiguous; the merged segment takes the place of the first.
        entries: list[tuple[str, str | None]] = []
        for segment in self.index.segments:
            if segment.name not in names:
                entries.append((segment.name, segment.deletions))
            elif (name, deletions) not in entries and len(merged_dead) < len(merged.documents):
                entries.append((name, deletions))
        self._commit(Manifest(self.index.fingerprint, tuple(entries)))
        if self._stored is None:
            return
        # Where each source's documents went, worked out from the ids rather than by
        # decoding the merged segment's records (seconds of this process's time at a
        # million passages, taken from the questions answered meanwhile).
        moved: dict[str, np.ndarray] = {}
        first = 0
        for source, ids in zip(sources, kept, strict=True):
            moved[source.name] = np.full(len(source.index.documents), -1, dtype=np.int64)
            moved[source.name][ids] = first + np.arange(len(ids))
            first += len(ids)
        for path, entry in self._stored.items():
            if entry.segment in moved:
                # Documents deleted meanwhile were dropped from `_stored` by their update.
                document = int(moved[entry.segment][entry.document])
                self._stored[path] = _Stored(name, document, entry.stamp)


def _compare(
    writer: IndexWriter, files: list[Path] | None
) -> tuple[str, dict[Path, tuple[int, int] | None]] | None:
    """None when the corpus's fingerprint is the index's; else the fingerprint and the
    files whose stamp is not the stored one (None: a stored document's file is gone)."""
    # Imported here: `opening` opens indexes through this writer.
    from retrieval.index.opening import fingerprint_of

    files = corpus_files(writer.corpus) if files is None else files
    stamps = {file.absolute(): file_stamp(file) for file in files}  # one stat per file
    fingerprint = fingerprint_of(stamps)
    if fingerprint == writer.index.fingerprint:
        return None
    stored = writer._stored_documents()
    changed = {p: s for p, s in stamps.items() if s != _stamp(stored, p)}
    changed.update((p, None) for p in stored if p not in stamps)
    return fingerprint, changed


def _stamp(stored: dict[Path, _Stored], path: Path) -> tuple[int, int] | None:
    entry = stored.get(path)
    return None if entry is None else entry.stamp
