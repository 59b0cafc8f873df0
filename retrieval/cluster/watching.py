"""Keeping a sharded index current while it serves: the corpus folder is watched as for
one index (`retrieval.watch`), each changed file is routed to its shard, those shards are
updated (a small segment each, see `building`), and the global statistics are merged and
saved as a new generation, which the shards' actors then load.

Process model, as for one index: one writer per sharded index, the process holding the
root's `writer.lock` (and, while it writes, every shard's writer lock); any number of
readers (bots, `hoidap ask`, the API) that follow the live generation at every question.
`hoidap index --watch --shards N` is a writer that answers nothing; a bot or `chat` on a
cluster becomes the writer when no other process is one, and takes over when it goes away.
"""

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

from retrieval import formats
from retrieval.cluster import store
from retrieval.cluster.building import build_sharded, partition, publish, shard_of
from retrieval.documents import CorpusError, corpus_files
from retrieval.index import IndexUnreadable, IndexWriter
from retrieval.index.segments import WriterBusy, writer_lock
from retrieval.index.writer import Changes
from retrieval.watch import (
    FOLLOW_SECONDS,
    FULL_CHECK_SECONDS,
    SETTLE_SECONDS,
    WatchThread,
    corpus_events,
)

_log = logging.getLogger(__name__)
# Events quiet this long, the writer compares the whole corpus once (which also records
# the shards' fingerprints that a starting reader checks).
_QUIET_SECONDS = 2.0


def _silent(message: str) -> None:
    """The shards' own notices: the watcher says what it applied."""


def route(paths: set[Path], corpus: Path, shards: int) -> dict[int, list[Path]]:
    """The changed `paths` (files or folders, created, changed, removed or moved) as the
    paths each shard must look at: a document file goes to its shard; a folder's files go
    to theirs; a path gone that is no document file (a removed or moved folder) goes to
    every shard, each removing what it held under it."""
    routed: dict[int, set[Path]] = {}
    for path in paths:
        if path.is_dir():
            with contextlib.suppress(CorpusError):
                for file in corpus_files(path):
                    routed.setdefault(shard_of(file, corpus, shards), set()).add(file)
        elif path.exists() or path.suffix.lower() in formats.SUFFIXES:
            routed.setdefault(shard_of(path, corpus, shards), set()).add(path)
        else:
            for shard in range(shards):
                routed.setdefault(shard, set()).add(path)
    return {shard: sorted(found) for shard, found in sorted(routed.items())}


class ShardedWatcher(WatchThread):
    """Keeps the sharded index at `root` current with the corpus folder `corpus`, from a
    thread (`start`) or in the caller's (`run`). With `use_ray`, the actors serving the
    index load each new generation as soon as it is saved."""

    def __init__(
        self,
        corpus: Path,
        root: Path,
        notice: Callable[[str], None] = _log.info,
        use_ray: bool = False,
        settle: float = SETTLE_SECONDS,
        full_check: float = FULL_CHECK_SECONDS,
        follow: float = FOLLOW_SECONDS,
        workers: int | None = None,
    ) -> None:
        self.corpus, self.root, self.notice, self.use_ray = corpus, root, notice, use_ray
        self.settle, self.full_check, self.follow, self.workers = (
            settle,
            full_check,
            follow,
            workers,
        )
        super().__init__()

    def run(self) -> None:
        """Write while no other process does, until stopped."""
        while not self._stop.is_set():
            try:
                with writer_lock(self.root):
                    self._write()
            except WriterBusy:
                # Another process writes; readers follow its generations at every call.
                self._stop.wait(self.full_check)
            except (CorpusError, IndexUnreadable, OSError) as exc:
                self.notice(f"cannot update the sharded index: {exc}; retrying")
                self._stop.wait(self.full_check)

    def _write(self) -> None:
        count = store.shard_count(self.root)
        # Up to date before watching (what changed while no process wrote).
        build_sharded(self.corpus, self.root, count, self.notice, self.use_ray, self.workers)
        with contextlib.ExitStack() as stack:
            writers = [
                stack.enter_context(
                    IndexWriter(
                        self.corpus,
                        store.shard_path(self.root, s),
                        workers=self.workers,
                        notice=_silent,
                        settle=self.settle,
                    )
                )
                for s in range(count)
            ]
            self._advanced()
            self._loop(writers)

    def _loop(self, writers: list[IndexWriter]) -> None:
        last_full, last_event = time.monotonic(), -float("inf")
        for paths in corpus_events(self.corpus, self._stop, self.follow):
            now = time.monotonic()
            before = [w.index.manifest for w in writers]
            applied: dict[int, Changes] = {}
            try:
                if paths:
                    last_event = now
                    for s, routed in route(paths, self.corpus, len(writers)).items():
                        applied[s] = writers[s].update_paths(routed)
                for s, writer in enumerate(writers):
                    if writer.waiting and s not in applied:
                        applied[s] = writer.update_paths(list(writer.waiting))
                unconfirmed = not all(w.index.fingerprint for w in writers)
                if now - last_full >= self.full_check or (
                    unconfirmed and not applied and now - last_event >= _QUIET_SECONDS
                ):
                    last_full = now
                    for s, files in enumerate(partition(self.corpus, len(writers))):
                        applied[s] = writers[s].update(files)
            except (CorpusError, OSError) as exc:
                self.notice(f"cannot update the index: {exc}; answering from the current one")
                last_full = now
                continue
            applied = {s: c for s, c in applied.items() if c.added or c.removed}
            if applied:
                self.notice(
                    f"index updated: {sum(c.added for c in applied.values())} files read, "
                    f"{sum(c.removed for c in applied.values())} documents removed, in "
                    f"shards {', '.join(map(str, sorted(applied)))}"
                )
                for s in applied:
                    writers[s].merge()
            # Any commit (an update, a merge, a fingerprint confirmed) needs global
            # statistics that name it: a shard is never served with others'.
            if [w.index.manifest for w in writers] != before:
                publish(self.root, [w.index for w in writers], self.notice, self.use_ray)
                self._advanced()
        if not self._stop.is_set():
            # watchfiles ends its events on Ctrl-C (in the main thread) rather than raise.
            raise KeyboardInterrupt
