"""Segments' arrays seen as one, under global ids, without copying them.

A live index is a few immutable segments (see `live`); the answerer reads sentence,
passage and document arrays by global id. Joining the segments' arrays into one would
copy the whole index at every update, so these views translate each access instead:
position p of the view is position p - offsets[s] of part s, and a part's values can
be shifted (global sentence or document ids) or mapped (global term ids).
"""

import bisect
from collections.abc import Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from retrieval.index.model import LazySequence
from retrieval.index.records import documents_with_path


class ConcatArray:
    """Parts laid end to end, read like a one-dimensional numpy array: an int, a slice of
    step 1 or an integer array as index, `len`, and `np.searchsorted` when the joined
    values are ascending. Part s's values are `add[s] + part` or, when `maps` is given,
    `maps[s][part]`."""

    ndim = 1

    def __init__(
        self,
        parts: Sequence[np.ndarray],
        add: Sequence[int] | None = None,
        maps: Sequence[np.ndarray] | None = None,
        dtype: Any = None,
    ) -> None:
        self.parts = list(parts)
        self.add = list(add) if add is not None else None
        self.maps = list(maps) if maps is not None else None
        self.offsets = np.zeros(len(self.parts) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in self.parts], out=self.offsets[1:])
        self.dtype = np.dtype(dtype or (self.parts[0].dtype if self.parts else np.int64))
        self._starts = self.offsets.tolist()

    @property
    def shape(self) -> tuple[int]:
        return (len(self),)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def _values(self, s: int, raw: Any) -> Any:
        if self.maps is not None:
            return self.maps[s][raw]
        if self.add is not None and self.add[s]:
            return raw + self.add[s]
        return raw

    def _part_of(self, positions: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.offsets, positions, side="right") - 1

    @overload
    def __getitem__(self, key: int | np.integer) -> Any: ...
    @overload
    def __getitem__(self, key: slice | np.ndarray) -> np.ndarray: ...
    def __getitem__(self, key: Any) -> Any:
        # Single items and slices within one part (a sentence's text, its terms) are most
        # reads: they go straight to the part.
        if isinstance(key, int | np.integer):
            i = int(key) + (len(self) if key < 0 else 0)
            if not 0 <= i < len(self):
                raise IndexError(key)
            s = bisect.bisect_right(self._starts, i) - 1
            return self.dtype.type(self._values(s, self.parts[s][i - self._starts[s]]))
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step != 1:
                raise IndexError("only slices of step 1")
            s = bisect.bisect_right(self._starts, start) - 1
            if stop <= start:
                return np.zeros(0, dtype=self.dtype)
            if s >= 0 and stop <= self._starts[s + 1]:
                first = self._starts[s]
                return np.asarray(
                    self._values(s, self.parts[s][start - first : stop - first]), self.dtype
                )
            key = np.arange(start, stop, dtype=np.int64)
        positions = np.asarray(key)
        if positions.dtype == bool:
            positions = np.flatnonzero(positions)
        if len(self.parts) == 1:
            return np.asarray(self._values(0, self.parts[0][positions]), dtype=self.dtype)
        if len(positions) and (positions.min() < 0 or positions.max() >= len(self)):
            raise IndexError("index out of range")
        parts = self._part_of(positions)
        out = np.empty(positions.shape, dtype=self.dtype)
        if len(parts) and parts[0] == parts[-1] and (parts == parts[0]).all():
            s = int(parts[0])
            out[...] = self._values(s, self.parts[s][positions - self.offsets[s]])
            return out
        for s in np.unique(parts).tolist():
            inside = parts == s
            out[inside] = self._values(s, self.parts[s][positions[inside] - self.offsets[s]])
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # A copy of everything: only for callers outside the question path.
        return self[0 : len(self)].astype(dtype or self.dtype, copy=False)

    def searchsorted(self, values: Any, side: str = "left") -> Any:
        """As np.searchsorted on the joined values, which must be ascending: the insertion
        point is how many values lie before it, counted in each part."""
        if self.maps is not None:
            raise TypeError("mapped parts are not sorted")
        values = np.asarray(values)
        found = np.zeros(values.shape, dtype=np.int64)
        for s, part in enumerate(self.parts):
            shift = self.add[s] if self.add is not None else 0
            found += np.searchsorted(part, values - shift, side=side)
        return found if found.ndim else int(found)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func is np.searchsorted and args[0] is self:
            return self.searchsorted(*args[1:], **kwargs)
        return NotImplemented


def concat_offsets(ptrs: Sequence[np.ndarray]) -> ConcatArray:
    """CSR offsets of parts joined: each part's offsets but its last, shifted by the
    lengths before it, then the total."""
    parts, add, total = [], [], 0
    for ptr in ptrs:
        parts.append(ptr[:-1])
        add.append(total)
        total += int(ptr[-1])
    parts.append(np.array([total], dtype=np.int64))
    add.append(0)
    return ConcatArray(parts, add=add, dtype=np.int64)


class ConcatSequence(LazySequence):
    """Sequences (documents' records) laid end to end."""

    def __init__(self, parts: Sequence[Sequence[Any]]) -> None:
        self.parts = list(parts)
        self.offsets = np.zeros(len(self.parts) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in self.parts], out=self.offsets[1:])
        self._starts = self.offsets.tolist()

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def _item(self, i: int) -> Any:
        s = bisect.bisect_right(self._starts, i) - 1
        return self.parts[s][i - self._starts[s]]

    def with_path(self, path: Path) -> list[int]:
        """The documents of the parts read from `path`, by global position."""
        return [
            int(first) + i
            for part, first in zip(self.parts, self.offsets, strict=False)
            for i in documents_with_path(part, path)
        ]
