"""Per-caller rate limits that hold across the worker processes of `hoidap serve`.

With HOIDAP_API_WORKERS > 1 the kernel hands each new connection to any worker, so a
limit kept in each worker's memory would let a caller ask `workers` times the limit. The
counts live instead in one anonymous shared memory map made before the workers are forked,
behind one process-shared lock: every worker sees every caller's requests.

A caller's requests are counted in buckets of `window / BUCKETS` seconds; a request counts
until its whole bucket has left the window, so one is refused when the callers' requests
in the last `window` seconds (plus at most one bucket) reach `limit`. The memory is fixed:
`ROWS` callers at once (keys, or addresses without keys), the least recent one forgotten
when more are active.
"""

import hashlib
import math
import mmap
import multiprocessing
import time
from collections.abc import Callable

import numpy as np

BUCKETS = 60
ROWS = 1024


class SharedLimiter:
    """At most `limit` requests per caller in any sliding `window` seconds (measured to
    one bucket, window / BUCKETS, on the safe side), across forked processes."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit, self._width, self._clock = limit, window / BUCKETS, clock
        slots = BUCKETS + 1  # the current bucket and the BUCKETS before it
        self._memory = mmap.mmap(-1, ROWS * 8 * (1 + 2 * slots))  # shared with forked children
        words = np.frombuffer(self._memory, dtype=np.int64)
        self._callers = words[:ROWS]  # 0: a free row
        self._numbers = words[ROWS : ROWS * (1 + slots)].reshape(ROWS, slots)
        self._counts = words[ROWS * (1 + slots) :].reshape(ROWS, slots)
        self._lock = multiprocessing.get_context("fork").Lock()

    def check(self, caller: str) -> float:
        """Record a request of `caller` and return 0, or return the seconds to wait
        (nothing recorded)."""
        digest = int.from_bytes(hashlib.blake2b(caller.encode(), digest_size=8).digest()) | 1
        digest -= 1 << 63  # into int64's range; the low bit set keeps it from 0
        now = self._clock()
        bucket = math.floor(now / self._width)
        slots = BUCKETS + 1
        with self._lock:
            row = self._row(digest, bucket)
            numbers, counts = self._numbers[row], self._counts[row]
            recent = numbers > bucket - slots
            if int(counts[recent].sum()) >= self._limit:
                oldest = int(numbers[recent & (counts > 0)].min())
                return max((oldest + slots) * self._width - now, 0.001)
            slot = bucket % slots
            if numbers[slot] != bucket:
                numbers[slot], counts[slot] = bucket, 0
            counts[slot] += 1
        return 0.0

    def _row(self, digest: int, bucket: int) -> int:
        found = np.flatnonzero(self._callers == digest)
        if len(found):
            return int(found[0])
        # A free row, or the caller whose last request is the oldest (its requests have
        # left the window unless ROWS callers are all active).
        row = int(np.argmin(np.where(self._callers == 0, -1, self._numbers.max(axis=1))))
        self._callers[row] = digest
        self._numbers[row] = -1
        self._counts[row] = 0
        return row
