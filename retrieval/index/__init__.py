"""The search index: segmented sentences, passages and BM25, built once and kept on disk.

Segmenting with pyvi is the slow part (about 0.3 ms a sentence), so the index is built
once per corpus state and reloaded as memory maps afterwards; answering never re-reads
the corpus files. A cheap fingerprint of the corpus files (paths, sizes, mtimes) decides
whether the stored index is still current. Building reads files and segments each distinct
sentence in a pool of processes, one per core; when the corpus changes, documents whose
file is unchanged are taken over from the stored index and only the others are read.

On disk an index is a directory marked as hoidap's (`folder`) holding generation
directories `gen-*` (`.npy` arrays plus `index.json`) and a `CURRENT` file naming the live
one. A save writes a complete new generation and then replaces `CURRENT` atomically, so a
crash at any point leaves either the old or the new index, never a half-written one. Every
file is checksummed (`checksums`): CURRENT holds index.json's checksum, index.json those of
the arrays.

Modules: `model` (the Index and its errors), `records` (documents' metadata stored as
records), `reading` (reading corpus files in worker processes), `build` (segmenting,
term ids, passages, BM25; full and incremental builds), `storage` (save and load),
`checksums` (damage found at load), `folder` (the marker; what may be deleted), `opening`
(where an index lives, whether it is current, what to do when it cannot be saved).
"""

from retrieval.index.build import build_index, update_index
from retrieval.index.model import (
    FORMAT_VERSION,
    PIPELINE_VERSION,
    Index,
    IndexLocationError,
    IndexMissing,
    IndexNotSaved,
    IndexUnreadable,
)
from retrieval.index.opening import cache_root, corpus_fingerprint, default_index_path, open_index
from retrieval.index.segments import load_index, load_live
from retrieval.index.storage import save_index
from retrieval.index.writer import IndexWriter

__all__ = [
    "FORMAT_VERSION",
    "PIPELINE_VERSION",
    "Index",
    "IndexLocationError",
    "IndexMissing",
    "IndexNotSaved",
    "IndexUnreadable",
    "IndexWriter",
    "build_index",
    "cache_root",
    "corpus_fingerprint",
    "default_index_path",
    "load_index",
    "load_live",
    "open_index",
    "save_index",
    "update_index",
]
