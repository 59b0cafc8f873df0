"""Documents' metadata (id, title, date, path, file stamp, format, page starts, language)
stored as JSON records back to back in one blob, decoded only when read."""

import itertools
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from retrieval.documents import Document
from retrieval.index.model import IndexUnreadable, LazySequence, offsets

if TYPE_CHECKING:
    from retrieval.index.model import Index


class Records(LazySequence):
    """Per-document JSON records stored back to back (record i is the UTF-8 bytes
    `blob[ptr[i]:ptr[i + 1]]`), decoded by `decode` only when read. At a million passages
    the corpus has 150,000 documents; held as Python objects they took 200 MB of every
    serving process."""

    def __init__(self, ptr: np.ndarray, blob: np.ndarray, decode: Callable[[list[Any]], Any]):
        self._ptr, self._blob, self._decode = ptr, blob, decode

    def __len__(self) -> int:
        return len(self._ptr) - 1

    def _record(self, i: int) -> list[Any]:
        raw = bytes(self._blob[self._ptr[i] : self._ptr[i + 1]])
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise IndexUnreadable(f"document record {i} is damaged: {exc}") from exc

    def _item(self, i: int) -> Any:
        try:
            return self._decode(self._record(i))
        except (ValueError, TypeError, IndexError) as exc:
            raise IndexUnreadable(f"document record {i} is damaged: {exc}") from exc

    def with_path(self, path: Path) -> list[int]:
        """The records whose document was read from `path`: the record blob is searched
        for the path as `document_records` writes it (a few ms for a million passages'
        150,000 records, where decoding each would take seconds), and each record found
        is decoded to confirm it."""
        encoded = json.dumps(str(path), ensure_ascii=False).encode("utf-8")
        needle = re.compile(re.escape(b", " + encoded + b", "))
        found: list[int] = []
        for match in needle.finditer(memoryview(np.asarray(self._blob))):
            i = int(np.searchsorted(self._ptr, match.start(), side="right")) - 1
            if i not in found and self._record(i)[3] == str(path):
                found.append(i)
        return found


def paths_and_stamps(
    documents: Sequence[Document], stamps: Sequence[tuple[int, int] | None]
) -> list[tuple[Path, tuple[int, int] | None]]:
    """Each document's path and file stamp. Stored records are read in one piece and each
    decoded once (the writer lists a million passages' 150,000 documents this way at its
    first update: decoding every record twice into documents and stamps took 5.5 s)."""
    if not isinstance(documents, Records):
        return [(d.path, stamp) for d, stamp in zip(documents, stamps, strict=True)]
    ptr = np.asarray(documents._ptr).tolist()
    blob = bytes(documents._blob[: ptr[-1]]) if ptr else b""
    found = []
    for i, (lo, hi) in enumerate(itertools.pairwise(ptr)):
        try:
            record = json.loads(blob[lo:hi])
            found.append((Path(record[3]), stamp_of(record)))
        except (ValueError, TypeError, IndexError) as exc:
            raise IndexUnreadable(f"document record {i} is damaged: {exc}") from exc
    return found


def documents_with_path(documents: Sequence[Document], path: Path) -> list[int]:
    """The positions in `documents` of those read from `path`, stored or built."""
    with_path = getattr(documents, "with_path", None)
    if with_path is not None:
        return with_path(path)
    return [i for i, document in enumerate(documents) if document.path == path]


def document_of(record: list[Any]) -> Document:
    doc_id, title, date, path, _, format_, pages, language = record
    return Document(
        doc_id=str(doc_id),
        title=str(title),
        date=None if date is None else str(date),
        path=Path(path),
        format=str(format_),
        pages=tuple(int(p) for p in pages),
        language=None if language is None else str(language),
    )


def stamp_of(record: list[Any]) -> tuple[int, int] | None:
    stamp = record[4]
    return None if stamp is None else (int(stamp[0]), int(stamp[1]))


def document_records(index: "Index") -> tuple[np.ndarray, np.ndarray]:
    """(ptr, blob) of the records `document_of` and `stamp_of` read."""
    records = [
        json.dumps(
            [
                d.doc_id,
                d.title,
                d.date,
                str(d.path),
                None if stamp is None else list(stamp),
                d.format,
                list(d.pages),
                d.language,
            ],
            ensure_ascii=False,
        ).encode("utf-8")
        for d, stamp in zip(index.documents, index.document_stamps, strict=True)
    ]
    ptr = offsets(np.fromiter(map(len, records), dtype=np.int64, count=len(records)))
    return ptr, np.frombuffer(b"".join(records), dtype=np.uint8)
