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


def test_a_slice_fails_exactly_when_it_reads_the_damaged_block(tmp_path: Path) -> None:
    per_block = BLOCK // 8
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    # The whole array, block 2 damaged; and a view starting inside block 1 of an array
    # whose block 0 is damaged: the view's reads are placed by the view's own start.
    shift = per_block + 7
    cases = [
        (_mapped(first, garble_block=2), 0, 2),
        (_mapped(second, garble_block=0)[shift:], shift, 0),
    ]
    rng = np.random.default_rng(3)
    for source, shift, garbled in cases:
        plain = np.arange(4 * per_block, dtype=np.int64)[shift:]
        n = len(source)
        for _ in range(400):
            lo, hi = (int(x) if rng.random() < 0.9 else None for x in rng.integers(-n, n, 2))
            stride = int(rng.choice([1, 1, 1, 2, 3, -1, -5]))
            read = range(n)[lo:hi:stride]
            if any((shift + i) // per_block == garbled for i in read):
                with pytest.raises(IndexUnreadable):
                    source[lo:hi:stride]
            else:
                assert np.array_equal(source[lo:hi:stride], plain[lo:hi:stride])
