"""Work a serving process hands to a forked child: Python's lock stays with the questions
being answered, and the child starts with everything the parent has loaded (memory-mapped
segments, which cannot be pickled) without copying it."""

import itertools
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from retrieval.index.reading import start_worker

T = TypeVar("T")

# Background work (merges, comparing the whole corpus) runs this much nicer than the
# serving process: on a machine of few cores it would otherwise take cores from the
# questions being answered meanwhile.
NICENESS = 10

# The calls children are forked for, by number: a child finds its call here, in the
# memory it was forked with; only the number and the result are pickled.
_CALLS: dict[int, tuple[Callable[..., Any], tuple[Any, ...]]] = {}
_numbers = itertools.count()
_lock = threading.Lock()


def _start_child(parent: int, niceness: int) -> None:
    start_worker(parent)
    if niceness:
        os.nice(niceness)  # worker processes it starts inherit it


def _run(number: int) -> Any:
    function, args = _CALLS[number]
    return function(*args)


def in_forked_child(function: Callable[..., T], *args: Any, niceness: int = 0) -> T:
    """`function(*args)` run in a forked child process `niceness` below this one; its
    result comes back pickled, and so do its exceptions."""
    with _lock:
        number = next(_numbers)
        _CALLS[number] = (function, args)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            1, mp_context=context, initializer=_start_child, initargs=(os.getpid(), niceness)
        ) as pool:
            return pool.submit(_run, number).result()
    finally:
        with _lock:
            del _CALLS[number]
