"""Keeping a running engine current while it answers: watch the corpus, update the index,
swap the new state in between questions.

Process model: one writer, many readers per index folder. The first process to take the
folder's writer lock (see `retrieval.index.segments`) is the writer: it watches the
corpus folder (inotify through watchfiles, and a full check every `full_check` seconds
where events do not arrive, such as network file systems), applies changes in batches as
new segments and deletions, merges in the background, and swaps each new state into its
engine. Every other process serving the same index folder (more bot or API processes,
`hoidap chat`) is a reader: it follows the writer's commits (a small pointer file read
every `follow` seconds) and swaps them in, and becomes the writer if the writer goes away.
`hoidap index --watch` is a writer that answers nothing.
"""

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from retrieval.documents import CorpusError
from retrieval.index import Index
from retrieval.index.model import IndexUnreadable
from retrieval.index.segments import SegmentCache, WriterBusy, live_manifest, load_live
from retrieval.index.writer import IndexWriter

_log = logging.getLogger(__name__)

# A file modified less than this long ago is taken to be still being written.
SETTLE_SECONDS = 1.0
# How often the whole corpus is compared with the index when no event says it changed.
FULL_CHECK_SECONDS = 60.0
# How often a reader looks for the writer's commits, and a waiting writer rechecks files.
FOLLOW_SECONDS = 0.5
# Events quiet this long, the writer compares the whole corpus once.
_QUIET_SECONDS = 2.0
# Python's switch interval in a process that answers while it watches. Each numpy call of
# a question gives up Python's lock and may wait this long to get it back from the
# watcher's thread (loading a state, a swap's warm-up): 5 ms (the default) at each of a
# question's many calls doubled questions answered beside a swap (median +54 ms at 100k
# passages, +24 ms at 0.5 ms).
SWITCH_INTERVAL = 0.0005


class Swappable(Protocol):
    def swap(self, index: Index) -> None: ...


class WatchThread:
    """What every watcher shares: a thread running `run` until `stop`, and a count of the
    generations it has made current, which tests and benchmarks wait on."""

    thread_name = "hoidap-watch"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.generation = 0
        self._changed = threading.Condition()

    def run(self) -> None:
        raise NotImplementedError

    def start(self) -> "WatchThread":
        self._thread = threading.Thread(target=self.run, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> "WatchThread":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def wait_for(self, generation: int, timeout: float) -> bool:
        """Wait until `generation` generations have been made current; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self.generation >= generation, timeout)

    def _advanced(self) -> None:
        """One more generation is current (the caller may hold `_changed` already)."""
        with self._changed:
            self.generation += 1
            self._changed.notify_all()


class Watcher(WatchThread):
    """Keeps `engine` (anything with `swap(index)`; None for a headless indexer) current
    with the corpus folder `corpus`, whose index is at `index_path`, from a thread."""

    def __init__(
        self,
        engine: Swappable | None,
        corpus: Path,
        index_path: Path,
        notice: Callable[[str], None] = _log.info,
        settle: float = SETTLE_SECONDS,
        full_check: float = FULL_CHECK_SECONDS,
        follow: float = FOLLOW_SECONDS,
        workers: int | None = None,
    ) -> None:
        self.engine, self.corpus, self.index_path = engine, corpus, index_path
        self.notice, self.settle, self.full_check, self.follow = notice, settle, full_check, follow
        self.workers = workers
        super().__init__()
        self.writer: IndexWriter | None = None
        self._merging: threading.Thread | None = None
        # Reader side: segments already loaded, and the commit last swapped in.
        self._cache = SegmentCache()
        self._seen: str | None = None

    def start(self) -> "Watcher":
        if self.engine is not None:
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        super().start()
        return self

    def stop(self) -> None:
        super().stop()
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def _swap(self, index: Index | None = None) -> None:
        """Swap `index` in, or the writer's newest state: updates and merges commit from two
        threads, and taking the newest under the lock never swaps an older state back."""
        with self._changed:
            if index is None:
                assert self.writer is not None
                index = self.writer.index
            if self.engine is not None:
                self.engine.swap(index)
            self._advanced()

    def run(self) -> None:
        """Follow the writer while there is one, write otherwise, until stopped."""
        while not self._stop.is_set():
            try:
                self.writer = IndexWriter(
                    self.corpus,
                    self.index_path,
                    workers=self.workers,
                    notice=self.notice,
                    settle=self.settle,
                )
            except WriterBusy:
                self._follow()
                continue
            except (CorpusError, IndexUnreadable, OSError) as exc:
                self.notice(f"cannot update the index: {exc}; retrying")
                self._stop.wait(self.full_check)
                continue
            self._swap()
            self._write()
            if self._merging is not None:
                self._merging.join()

    def _follow(self) -> None:
        """Swap in each commit of another process's writer; return now and then to try to
        become the writer, in case it went away."""
        started = time.monotonic()
        while not self._stop.wait(self.follow):
            with contextlib.suppress(IndexUnreadable, OSError):
                name = live_manifest(self.index_path)
                if name != self._seen:
                    self._swap(load_live(self.index_path, self._cache))
                    self._seen = name
            if time.monotonic() - started >= self.full_check:
                return

    def _write(self) -> None:
        """Apply what events name as it comes; recheck files still being written; compare
        the whole corpus every `full_check` seconds and once events have settled (which
        also confirms the corpus fingerprint other processes check)."""
        writer = self.writer
        assert writer is not None
        last_full = last_event = -float("inf")
        for paths in corpus_events(self.corpus, self._stop, self.follow):
            now = time.monotonic()
            try:
                if paths:
                    last_event = now
                    changes = writer.update_paths(paths)
                elif writer.waiting:
                    changes = writer.update_paths(list(writer.waiting))
                elif now - last_full >= self.full_check or (
                    not writer.index.fingerprint and now - last_event >= _QUIET_SECONDS
                ):
                    last_full = now
                    changes = writer.update(forked=self.engine is not None)
                else:
                    continue
            except (CorpusError, OSError) as exc:
                self.notice(f"cannot update the index: {exc}; answering from the current one")
                last_full = now
                continue
            if changes.added or changes.removed:
                self.notice(
                    f"index updated: {changes.added} files read, {changes.removed} documents "
                    f"removed, {changes.waiting} still being written"
                )
                self._swap()
                if self._merging is None or not self._merging.is_alive():
                    self._merging = threading.Thread(
                        target=self._merge, name="hoidap-merge", daemon=True
                    )
                    self._merging.start()

    def _merge(self) -> None:
        """Merge while the policy asks for it, beside updates (see `IndexWriter.merge`)."""
        assert self.writer is not None
        try:
            while not self._stop.is_set() and self.writer.merge():
                self._swap()
        except (OSError, IndexUnreadable) as exc:
            self.notice(f"cannot merge index segments: {exc}")


def corpus_events(corpus: Path, stop: threading.Event, timeout: float) -> Iterator[set[Path]]:
    """Yields the paths that changed under `corpus` (an empty set when none did), at least
    every `timeout` seconds, until `stop` is set: inotify through watchfiles where it works,
    else only the clock (and the writer's full checks)."""
    try:
        import watchfiles

        for changes in watchfiles.watch(
            corpus,
            stop_event=stop,
            rust_timeout=int(timeout * 1000),
            yield_on_timeout=True,
            debounce=1600,
            step=50,
            raise_interrupt=False,
        ):
            yield {Path(path) for _, path in changes}
        return
    except (ImportError, OSError, RuntimeError) as exc:
        _log.warning("watching %s for changes failed (%s): checking periodically", corpus, exc)
    while not stop.wait(timeout):
        yield set()
