"""The index in memory, its array layout and the errors of a stored index."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from retrieval.bm25 import BM25
from retrieval.documents import Document

# 7: BM25 document lengths. 8: checksums of every file, the index folder's marker.
# 9: documents' extracted texts, formats, page starts and languages.
# 10: documents' df stored (segments of a live index sum it).
FORMAT_VERSION = 10
# Bump whenever the terms produced for a text change (normaliser, segmenter, filtering):
# old indexes then no longer match the fingerprint and are rebuilt.
PIPELINE_VERSION = 2

# name -> dtype of every array stored next to index.json (BM25's under a "bm25_" prefix).
ARRAYS = {
    "sentence_doc": np.int32,
    "sentence_start": np.int64,
    "sentence_end": np.int64,
    "sentence_text_ptr": np.int64,
    "sentence_text_blob": np.uint8,
    "sentence_term_ptr": np.int64,
    "sentence_term_ids": np.int32,
    "passage_sentence_ptr": np.int64,
    "document_idf": np.float64,
    # Each document's extracted text (UTF-8, CSR over documents): what its sentences'
    # offsets refer to. Empty for plain text read verbatim, whose file is that text.
    "document_text_ptr": np.int64,
    "document_text_blob": np.uint8,
    "document_df": np.int32,
}
# The documents' metadata (see `Records`), stored beside the arrays of ARRAYS.
RECORD_PTR, RECORD_BLOB = "document_record_ptr", "document_record_blob"


class LazySequence(Sequence[Any]):
    """A read-only sequence whose items are made when read (decoded, looked up in parts):
    subclasses give `__len__` and `_item(i)` for 0 <= i < len; slices become lists."""

    def _item(self, i: int) -> Any:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> list[Any]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self._item(j) for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self._item(i % len(self))


class IndexUnreadable(Exception):
    """A stored index that cannot be used: missing, corrupt or of another format version.
    The message is a short reason for users."""


class IndexMissing(IndexUnreadable):
    """No index has been saved at the path yet."""


class IndexLocationError(Exception):
    """A place where hoidap may not keep an index (a file, or a folder holding other files):
    a configuration mistake, reported before any work is done."""


class IndexNotSaved(Exception):
    """The index could not be written (read-only place, full disk); the message names the
    path and what to do."""


@dataclass(eq=False)
class Index:
    """Sentences are in corpus order (document order, then sentence order); passage p is
    sentences `passage_sentence_ptr[p]` .. `passage_sentence_ptr[p + 1] - 1`, all from one
    document. Arrays are read-only memory maps after `load_index`."""

    # A list after a build, stored records (decoded when read) after `load_index`.
    documents: Sequence[Document]
    vocab: dict[str, int]
    fingerprint: str
    passage_sentences: int
    sentence_doc: np.ndarray
    sentence_start: np.ndarray
    sentence_end: np.ndarray
    sentence_text_ptr: np.ndarray
    sentence_text_blob: np.ndarray
    sentence_term_ptr: np.ndarray
    sentence_term_ids: np.ndarray
    passage_sentence_ptr: np.ndarray
    bm25: BM25
    # (size, mtime_ns) of each document's file when it was read, None when not known;
    # update_index reuses the documents whose file still matches.
    document_stamps: Sequence[tuple[int, int] | None]
    pipeline_version: int
    # Short form -> long form, as the corpus defines them ("… (Ban Chỉ đạo)"): found once
    # here, because scanning a million passages at the first question takes seconds.
    abbreviations: dict[str, str]
    # Each term's idf over documents rather than passages (see `idf_over_documents`), and
    # the number of documents holding it, from which segments make the whole corpus's idf.
    document_idf: np.ndarray
    document_text_ptr: np.ndarray
    document_text_blob: np.ndarray
    document_df: np.ndarray

    @property
    def n_sentences(self) -> int:
        return len(self.sentence_doc)

    @property
    def n_passages(self) -> int:
        return len(self.passage_sentence_ptr) - 1

    def sentence_text(self, i: int) -> str:
        lo, hi = self.sentence_text_ptr[i], self.sentence_text_ptr[i + 1]
        return bytes(self.sentence_text_blob[lo:hi]).decode("utf-8")

    def sentence_terms(self, i: int) -> np.ndarray:
        return self.sentence_term_ids[self.sentence_term_ptr[i] : self.sentence_term_ptr[i + 1]]

    def document_text(self, d: int) -> str | None:
        """The text document `d`'s offsets refer to, None when it is its file's own text."""
        lo, hi = self.document_text_ptr[d], self.document_text_ptr[d + 1]
        return bytes(self.document_text_blob[lo:hi]).decode("utf-8") if hi > lo else None

    def passage_doc(self, p: int) -> int:
        return int(self.sentence_doc[self.passage_sentence_ptr[p]])

    def is_deleted(self, d: int) -> bool:
        """Whether document `d` was deleted (changed or removed) since it was indexed: a
        live index keeps deleted documents' rows until a merge (see `live`)."""
        return False

    @property
    def live_documents(self) -> Sequence[Document]:
        """The documents not deleted, in index order."""
        return self.documents


def offsets(lengths: np.ndarray) -> np.ndarray:
    """CSR offsets: 0, then the running totals of `lengths`."""
    ptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    return ptr
