"""Blocks of a memory-mapped array checked as they are read (`CheckedArray`)."""

import mmap
from pathlib import Path

import numpy as np
import pytest

from retrieval.index.checksums import BLOCK, CheckedArray, checked, file_sums
from retrieval.index.model import IndexUnreadable


def _mapped(tmp_path: Path, garble_block: int) -> np.ndarray:
    """An int64 array of four blocks saved to a file (no header), block `garble_block`
    damaged after its checksums were taken."""
    path = tmp_path / "values.bin"
    values = np.arange(4 * BLOCK // 8, dtype=np.int64)
    path.write_bytes(values.tobytes())
    sums = file_sums(path)
    data = bytearray(path.read_bytes())
    data[garble_block * BLOCK + 100] ^= 0xFF
    path.write_bytes(bytes(data))
    with open(path, "rb") as f:
        mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    array = np.frombuffer(mapping, dtype=np.int64)
    return checked(array, "values.bin", array.ctypes.data, sums)


def test_reads_of_sound_blocks_pass_and_of_the_damaged_one_fail(tmp_path: Path) -> None:
    array = _mapped(tmp_path, garble_block=2)
    per_block = BLOCK // 8
    assert int(array[5]) == 5
    assert array[per_block : 2 * per_block].sum() == sum(range(per_block, 2 * per_block))
    assert int(array[np.array([1, 3 * per_block + 1])][1]) == 3 * per_block + 1
    for read in (
        lambda: array[2 * per_block + 20],
        lambda: array[per_block : 3 * per_block],
        lambda: array[np.array([0, 2 * per_block + 3])],
        lambda: array[-2 * per_block],
    ):
        with pytest.raises(IndexUnreadable, match=r"values\.bin is damaged \(block 2"):
            read()
    # A view reads relative to its own start (slicing already checks what it spans);
    # computed arrays are plain memory.
    view = array[3 * per_block :]
    assert isinstance(view, CheckedArray) and int(view[1]) == 3 * per_block + 1
    assert int((array[:10] * 2)[3]) == 6
