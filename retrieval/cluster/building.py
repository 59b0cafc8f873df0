"""Building and updating a sharded index.

Documents go to shard `stable hash of their path relative to the corpus` mod N, so a
document stays in its shard across rebuilds and machines. Each shard is built (files
read and segmented) as a Ray task when a cluster is connected, and saved where its
actors load it: under the sharded index's root, which on a cluster is a shared filesystem
(see the README). A shard is a live index folder (retrieval.index): an update writes its
new and changed documents as a small segment and marks changed and removed ones deleted,
through the shard's one writer (`IndexWriter`), never rewriting the rest. The global
statistics are merged anew from all shards after every change, so a new document changes
its shard's index and every shard's statistics; the actors serving the shards are then
told to load the new generation (see `serving.preload`).
"""

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from retrieval.cluster import store
from retrieval.cluster.stats import merge
from retrieval.documents import CorpusError, corpus_files
from retrieval.index import (
    Index,
    IndexUnreadable,
    IndexWriter,
    corpus_fingerprint,
    load_index,
    update_index,
)
from retrieval.index.folder import claim_folder, record_corpus
from retrieval.index.segments import (
    Manifest,
    commit,
    live_manifest,
    load_live,
    remove_unreferenced,
    write_segment,
    writer_lock,
)


def shard_of(path: Path, corpus: Path, shards: int) -> int:
    """The shard of the document at `path`: a hash of its path under `corpus`, stable
    across processes, machines and where the corpus is mounted."""
    try:
        relative = path.absolute().relative_to(corpus.absolute()).as_posix()
    except ValueError:
        relative = path.name
    digest = hashlib.sha256(relative.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def partition(corpus: Path, shards: int) -> list[list[Path]]:
    """The corpus files of each shard, in corpus order."""
    if shards < 1:
        raise ValueError("a sharded index needs at least one shard")
    parts: list[list[Path]] = [[] for _ in range(shards)]
    for file in corpus_files(corpus):
        parts[shard_of(file, corpus, shards)].append(file)
    return parts


def _stale(root: Path, shard: int, fingerprint: str) -> bool:
    try:
        return load_index(store.shard_path(root, shard)).fingerprint != fingerprint
    except IndexUnreadable:
        return True


def _silent(message: str) -> None:
    """Shards' own notices are left out: `build_sharded` says which shards it updates."""


def build_shard(
    corpus: Path, files: list[Path], fingerprint: str, path: Path, workers: int | None
) -> str:
    """Bring the shard at `path` to the documents `files`: new and changed files read into
    a new segment, changed and removed documents marked deleted, segments merged when
    the merge policy asks; a shard missing or unreadable (an older format) is built
    whole, as one segment. Returns its fingerprint."""
    if not files:
        raise CorpusError("a shard would hold no documents: use fewer shards")
    try:
        load_live(path)
    except IndexUnreadable:
        built = update_index(corpus, files, fingerprint, None, workers=workers)
        with writer_lock(path):
            manifest = Manifest(fingerprint, ((write_segment(path, built), None),))
            remove_unreferenced(path, commit(path, manifest), manifest)
        return fingerprint
    with IndexWriter(corpus, path, workers=workers, notice=_silent) as writer:
        writer.update(files)
        writer.merge()
    return fingerprint


def current(root: Path, parts: list[list[Path]]) -> bool:
    """Whether the sharded index at `root` holds exactly the corpus files `parts`, and its
    global statistics describe its shards as they are stored."""
    try:
        meta = store.load_meta(root, store.current_generation(root))
        manifests = [live_manifest(store.shard_path(root, s)) for s in range(len(parts))]
    except IndexUnreadable:
        return False
    return (
        meta["fingerprints"] == [corpus_fingerprint(files) for files in parts]
        and meta.get("manifests") == manifests
    )


def build_sharded(
    corpus: Path,
    root: Path,
    shards: int,
    notice: Callable[[str], None],
    use_ray: bool = False,
    workers: int | None = None,
) -> str:
    """Bring the sharded index at `root` up to date with `corpus` in `shards` shards:
    rebuild the shards whose files changed (as Ray tasks with `use_ray`, of one core
    each or HOIDAP_CLUSTER_BUILD_CPUS; else one after another here, each with `workers`
    processes), then merge and save the global statistics. Returns their generation."""
    # Marked as hoidap's (a foreign folder is refused): only then are generations removed.
    claim_folder(root)
    record_corpus(root, corpus)
    parts = partition(corpus, shards)
    if any(not files for files in parts):
        raise CorpusError(f"{shards} shards for {sum(map(len, parts))} documents leave one empty")
    fingerprints = [corpus_fingerprint(files) for files in parts]
    stale = [s for s in range(shards) if _stale(root, s, fingerprints[s])]
    if not stale and current(root, parts):
        return store.current_generation(root)
    if stale:
        notice(f"indexing shards {', '.join(map(str, stale))} of {shards}")
    jobs = [(corpus, parts[s], fingerprints[s], store.shard_path(root, s)) for s in stale]
    if use_ray and stale:
        import ray

        # One core a task by default: on one machine the shards then build side by side; on
        # nodes of several cores, HOIDAP_CLUSTER_BUILD_CPUS gives each task that many.
        cpus = int(os.environ.get("HOIDAP_CLUSTER_BUILD_CPUS") or 1)
        task = ray.remote(num_cpus=cpus, max_retries=1)(build_shard)
        ray.get([task.remote(*job, cpus) for job in jobs])
    else:
        for job in jobs:
            build_shard(*job, workers)
    indexes = [load_index(store.shard_path(root, s)) for s in range(shards)]
    if [index.fingerprint for index in indexes] != fingerprints:
        raise CorpusError("the corpus changed while it was indexed: index it again")
    return publish(root, indexes, notice, use_ray)


def publish(root: Path, indexes: list[Index], notice: Callable[[str], None], use_ray: bool) -> str:
    """Merge the global statistics of the shards `indexes` (as stored under `root`), save
    them as the live generation and, with `use_ray`, have the running actors load it."""
    stats, overlays = merge(indexes)
    notice(
        f"merged {len(indexes)} shards: {stats.n_documents} documents, "
        f"{stats.n_passages} passages, {len(stats.terms)} terms"
    )
    generation = store.save_global(root, stats, overlays)
    if use_ray:
        from retrieval.cluster.serving import preload

        swapped = preload(root, generation)
        if swapped:
            notice(f"{swapped} shard actors serve the update")
    return generation
