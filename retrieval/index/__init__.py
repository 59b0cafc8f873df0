"""The search index: segmented sentences, passages and BM25, built once and kept on disk.

Segmenting with pyvi is the slow part (about 0.3 ms a sentence), so the index is built
once per corpus state and reloaded as memory maps afterwards; answering never re-reads
the corpus files. A cheap fingerprint of the corpus files (paths, sizes, mtimes) decides
whether the stored index is still current. Building reads files and segments each distinct
sentence in a pool of processes, one per core; when the corpus changes, documents whose
file is unchanged are taken over from the stored index and only the others are read.

On disk an index is a live index (`live`, `segments`): a folder marked as hoidap's
(`folder`) holding immutable segments (each an index as `storage` saves it: a generation
folder of `.npy` arrays and `index.json`, every file checksummed, see `checksums`), the
deleted documents of each, and a manifest naming the live set, swapped in atomically. An
update writes a segment of the new and changed documents and the deletion lists, never
the rest (`writer`, one process at a time); segments are merged in the background
(`merging`). Readers see the segments as one index with global ids (`concat`, `live`)
and the whole corpus's statistics, so scores equal rank_bm25's over the live passages.

Modules: `model` (the Index and its errors), `records` (documents' metadata stored as
records), `reading` (reading corpus files in worker processes), `build` (segmenting,
term ids, passages, BM25), `storage` (saving and loading one segment), `checksums`,
`folder` (the marker; what may be deleted), `live` (segments seen as one index),
`concat` (arrays of segments under global ids), `segments` (the live folder: manifest,
commits, loading), `writer` (applying corpus changes), `merging` (policy and merges),
`opening` (where an index lives, whether it is current, what to do when it cannot be
saved).
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
