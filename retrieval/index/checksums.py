"""Checksums of index files: the CRC-32 of each 256 KiB block, written at save, checked
at load.

A damaged file must never be used: same-size garbage in a text array would be cited as if
it were the document's words. Loading must stay fast, though: the arrays are memory-mapped
so that a question reads only the few pages it needs, and a full check of a large index
would read all of it at every start. So loading checks the size of every file, and the
checksums of the smallest files up to `LOAD_BUDGET` bytes in all (every file of a small
index); larger files are checked in full by `hoidap index` (`verify=True`) and, those that
citations are made from, block by block as they are read (`CheckedArray`).

CRC-32 (zlib, which releases the GIL) ran at about 575 MB/s on the 2-core test machine
under load: the 16 MB budget costs about 30 ms, one block about 0.5 ms.
"""

import ctypes
import mmap
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.index.model import IndexUnreadable

BLOCK = 256 << 10
_INTEGER = (int, np.integer)
LOAD_BUDGET = 16 << 20

Sums = dict[str, Any]


def _block_sums(data: Any) -> list[int]:
    view = memoryview(data)
    return [zlib.crc32(view[lo : lo + BLOCK]) for lo in range(0, len(view), BLOCK)]


def file_sums(path: Path) -> Sums:
    """{"size", "crc32": one per block} of the file `path`, read through a map (a file just
    written is still in the page cache)."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return {"size": 0, "crc32": []}
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return {"size": size, "crc32": _block_sums(mapped)}


def parse_sums(raw: Any, names: list[str]) -> dict[str, Sums]:
    """The checksums stored in index.json for the files `names`."""
    if not isinstance(raw, dict):
        raise IndexUnreadable("index.json has no checksums")
    sums: dict[str, Sums] = {}
    for name in names:
        entry = raw.get(name)
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("size"), int)
            or not isinstance(entry.get("crc32"), list)
            or len(entry["crc32"]) != -(-entry["size"] // BLOCK)
        ):
            raise IndexUnreadable(f"index.json has no checksum for {name}")
        sums[name] = entry
    return sums


def check_size(path: Path, sums: Sums) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise IndexUnreadable(f"{path.name} is missing") from exc
    if size != sums["size"]:
        raise IndexUnreadable(f"{path.name} has {size} bytes, {sums['size']} were written")


def check_bytes(name: str, data: Any, sums: Sums) -> None:
    if len(data) != sums["size"] or _block_sums(data) != sums["crc32"]:
        raise IndexUnreadable(f"{name} is damaged (its checksum does not match)")


def check_file(path: Path, sums: Sums) -> None:
    check_size(path, sums)
    with open(path, "rb") as f:
        check_bytes(path.name, f.read(), sums)


def total_size(sums: dict[str, Sums]) -> int:
    return sum(entry["size"] for entry in sums.values())


class _Blocks:
    """The blocks of one memory-mapped file: which were checked, and their checksums."""

    def __init__(self, name: str, start: int, sums: Sums) -> None:
        self.name, self.start, self.sums = name, start, sums
        self.size = sums["size"]
        self.checked = bytearray(len(sums["crc32"]))

    def check(self, blocks: Any) -> None:
        """Check the blocks numbered `blocks` (raises IndexUnreadable)."""
        for block in blocks:
            if block >= len(self.checked) or self.checked[block]:
                continue
            begin = self.start + block * BLOCK
            end = self.start + min((block + 1) * BLOCK, self.sums["size"])
            if zlib.crc32(ctypes.string_at(begin, end - begin)) != self.sums["crc32"][block]:
                raise IndexUnreadable(
                    f"{self.name} is damaged (block {block} checksum); `hoidap index` rebuilds it"
                )
            self.checked[block] = 1


class CheckedArray(np.ndarray):
    """A memory-mapped array too large to check at load, whose blocks are checked the first
    time an item, a slice or an index array reads them: a question reads a few blocks of
    the arrays its citations come from, about a millisecond of checking, and a damaged
    block raises IndexUnreadable before its bytes are quoted. Arrays computed from it
    (not views into the file) are not checked again."""

    _blocks: _Blocks | None = None
    # Where this array starts in its file (-1: not one-dimensional), worked out at its
    # first read: `self.ctypes.data` costs more than the rest of a read's check, and the
    # index's own arrays are read thousands of times.
    _here: int | None = None

    def __array_finalize__(self, obj: Any) -> None:
        self._blocks = getattr(obj, "_blocks", None)

    def __getitem__(self, key: Any) -> Any:
        blocks = self._blocks
        if blocks is not None:
            here = self._here
            if here is None:
                here = self._here = self.ctypes.data - blocks.start if self.ndim == 1 else -1
            if 0 <= here < blocks.size and len(self):
                blocks.check(_blocks_read(key, len(self), here, self.strides[0], self.itemsize))
        return super().__getitem__(key)


def _blocks_read(key: Any, length: int, here: int, step: int, size: int) -> Any:
    """The numbers of the blocks that reading `key` from a one-dimensional array starting
    at byte `here` of its file (items `step` bytes apart, `size` bytes each) touches."""
    if isinstance(key, slice):
        lo, hi, stride = key.indices(length)
        if stride == 1 and step > 0:  # most reads: a sentence's or a record's bytes
            if hi <= lo:
                return ()
            return range(
                (here + lo * step) // BLOCK, (here + (hi - 1) * step + size - 1) // BLOCK + 1
            )
        if not len(range(lo, hi, stride)):
            return ()
        ends = (here + lo * step, here + (hi - stride) * step)
        return range(min(ends) // BLOCK, (max(ends) + size - 1) // BLOCK + 1)
    if isinstance(key, _INTEGER):
        position = int(key) + length if key < 0 else int(key)
        first = here + position * step
        return range(first // BLOCK, (first + size - 1) // BLOCK + 1)
    values = np.asarray(key)
    if values.dtype == bool:
        values = np.flatnonzero(values)
    if values.dtype.kind not in "iu":
        return range(here // BLOCK, (here + length * step) // BLOCK + 1)  # the whole array
    starts = here + np.where(values < 0, values + length, values).astype(np.int64) * step
    return np.unique(np.concatenate([starts // BLOCK, (starts + size - 1) // BLOCK])).tolist()


def checked(values: np.ndarray, name: str, file_start: int, sums: Sums) -> np.ndarray:
    """`values` (a map of the file `name` whose first byte is at address `file_start`) as
    a CheckedArray."""
    view = values.view(CheckedArray)
    view._blocks = _Blocks(name, file_start, sums)
    return view
