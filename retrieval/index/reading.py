"""Reading corpus files, in a pool of worker processes when there are cores to spare."""

import contextlib
import ctypes
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retrieval.documents import Document, ParsedDocument, read_document
from retrieval.tokenizer import index_terms

# Progress at least every 5000 sentences, but no more than about 20 lines per build.
PROGRESS_MIN_STEP = 5000
# Jobs handed to a worker at a time: large enough that pickling and scheduling stay small
# next to reading and pyvi, small enough to balance two cores. A build with fewer than two
# jobs runs in this process, where starting a pool would cost more than it saves.
READ_CHUNK = 32
SEGMENT_CHUNK = 256
# Bytes to read that repay starting a pool even in one file: reading and segmenting 2 MB
# of text takes seconds, starting the pool a tenth of one.
POOL_BYTES = 2 << 20
# Seconds between "still reading" lines while no document finishes.
HEARTBEAT = 10.0
# prctl(2): the signal a process gets when its parent dies.
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Read:
    """A document as read from its file, compact to send between processes: sentence texts
    as UTF-8 (the form they are stored and deduplicated in), the file's (size, mtime_ns)
    taken before reading (None when unknown) and the extracted text as UTF-8 (empty when
    the file itself is that text)."""

    document: Document
    stamp: tuple[int, int] | None
    starts: list[int]
    ends: list[int]
    texts: list[bytes]
    text: bytes = b""


def compact(parsed: ParsedDocument, stamp: tuple[int, int] | None) -> Read:
    sentences = parsed.sentences
    return Read(
        parsed.document,
        stamp,
        [s.start for s in sentences],
        [s.end for s in sentences],
        [s.text.encode("utf-8") for s in sentences],
        b"" if parsed.text is None else parsed.text.encode("utf-8"),
    )


def file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def read_files(job: tuple[Path, list[Path]]) -> list[Read | None]:
    root, paths = job
    reads: list[Read | None] = []
    for path in paths:
        # Stamped before reading: a file changed meanwhile then mismatches next time.
        stamp = file_stamp(path)
        parsed = read_document(path, root)
        reads.append(None if parsed is None else compact(parsed, stamp))
    return reads


def segment_texts(texts: list[bytes]) -> list[str]:
    # One string per sentence pickles far faster than lists of terms; terms come from
    # whitespace-split tokens, so they hold no whitespace and split() recovers them.
    return [" ".join(index_terms(text.decode("utf-8"))) for text in texts]


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for lo in range(0, len(items), size):
        yield items[lo : lo + size]


def default_workers() -> int:
    # The cores this process may run on (a container or taskset may allow fewer than the
    # machine has); macOS has no affinity.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def start_worker(parent: int) -> None:
    """What a forked worker of process `parent` does first."""
    # Ctrl-C reaches every process of the terminal's group: the workers leave it to the
    # parent, which stops the pool, rather than each printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker waits for its parent's jobs forever: a parent killed (kill -9, the OOM
    # killer) would leave it behind, holding the parent's memory and pipes (a bot's output
    # never reached its end). Linux kills it with the parent; elsewhere there is no guard.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the guard was set
        os._exit(1)


@contextlib.contextmanager
def worker_pool(workers: int, jobs: int) -> Iterator[Any]:
    """A fork pool when there are workers to spare and enough jobs to repay starting it,
    else None (work in this process). Fork shares the loaded pyvi model with the workers."""
    if workers <= 1 or jobs < 2:
        yield None
        return
    context = multiprocessing.get_context("fork")
    parent = os.getpid()
    with context.Pool(min(workers, jobs), initializer=start_worker, initargs=(parent,)) as pool:
        yield pool


def mapped(pool: Any, function: Callable[[Any], Any], jobs: list[Any]) -> Iterator[Any]:
    # imap keeps job order, so the index is the same whatever the number of workers.
    return pool.imap(function, jobs) if pool is not None else map(function, jobs)


@contextlib.contextmanager
def _heartbeat(progress: Callable[[str], None] | None, status: Callable[[], str]) -> Iterator[None]:
    """Report `status()` every HEARTBEAT seconds while the block runs: one large file is
    read by one worker for a long time without a document finishing."""
    if progress is None:
        yield
        return
    stop = threading.Event()
    started = time.monotonic()

    def beat() -> None:
        while not stop.wait(HEARTBEAT):
            progress(f"{status()}, {time.monotonic() - started:.0f} s")

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def read_corpus(
    root: Path, files: list[Path], pool: Any, progress: Callable[[str], None] | None
) -> Iterator[Read]:
    step = max(PROGRESS_MIN_STEP // 10, len(files) // 20)
    done = 0

    def status() -> str:
        return f"indexing: still reading, {done}/{len(files)} documents read"

    with _heartbeat(progress, status):
        for chunk in mapped(pool, read_files, [(root, c) for c in chunks(files, READ_CHUNK)]):
            for read in chunk:
                done += 1
                if progress is not None and done % step == 0:
                    progress(f"indexing: {done}/{len(files)} documents read")
                if read is not None:
                    yield read
