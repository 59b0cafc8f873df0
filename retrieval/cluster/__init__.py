"""A sharded index served by Ray actors, answering exactly as one index of the corpus.

`hoidap index --shards N` builds it; the engine uses it when `HOIDAP_RAY_ADDRESS` (or
`--cluster`) names a Ray cluster. Modules: `stats` (global statistics merged from the
shards), `store` (the sharded index on disk), `building` (partitioning, building shards as
Ray tasks), `shard` (one shard scored with the global statistics), `coordinator` (the
`Engine` that fans a question out and merges), `serving` (shards in process or as Ray
actors with replicas). Ray is an optional extra: `pip install "hoidap[cluster]"`.
"""

import contextlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from retrieval.cluster import store
from retrieval.cluster.building import build_sharded, current, partition
from retrieval.cluster.coordinator import ClusterEngine, ShardsUnavailable
from retrieval.index import IndexUnreadable, default_index_path
from retrieval.index.segments import WriterBusy

DEFAULT_SHARDS = 2


class ClusterUnavailable(IndexUnreadable):
    """Ray is not installed or the cluster cannot be reached; the message says so."""


def sharded_index_path(corpus: Path, index: Path | None) -> Path:
    if index is not None:
        return index
    default = default_index_path(corpus)
    return default.with_name(f"{default.name}-shards")


def connect(address: str) -> None:
    """Join the Ray cluster at `address` ("local" starts one in this process)."""
    try:
        import ray
    except ImportError as exc:
        raise ClusterUnavailable('the cluster needs Ray: pip install "hoidap[cluster]"') from exc
    if ray.is_initialized():
        return
    options = {"include_dashboard": False, "logging_level": logging.WARNING}
    try:
        # "local" starts a new instance even where another one runs on this machine.
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterUnavailable(f"cannot reach the Ray cluster at {address}: {exc}") from exc


def _shards_of(root: Path) -> int:
    try:
        return store.shard_count(root)
    except IndexUnreadable:
        return int(os.environ.get("HOIDAP_SHARDS") or DEFAULT_SHARDS)


def open_cluster(
    corpus: Path,
    index: Path | None,
    address: str,
    notice: Callable[[str], None],
    shards: int | None = None,
) -> ClusterEngine:
    """The engine of `corpus`'s sharded index (built or updated first when needed, as Ray
    tasks) served by actors of the Ray cluster at `address`. Replicas per shard and the
    time a question waits for a shard come from HOIDAP_CLUSTER_REPLICAS (default 2) and
    HOIDAP_CLUSTER_TIMEOUT (seconds, default 5)."""
    from retrieval.cluster.serving import RayShards

    connect(address)
    root = sharded_index_path(corpus, index)
    count = shards or _shards_of(root)
    if not current(root, partition(corpus, count)):
        # Another process writing the index publishes it: serve what is there meanwhile.
        with contextlib.suppress(WriterBusy):
            build_sharded(corpus, root, count, notice, use_ray=True)
    client = RayShards(
        root,
        count,
        replicas=int(os.environ.get("HOIDAP_CLUSTER_REPLICAS") or 2),
        timeout=float(os.environ.get("HOIDAP_CLUSTER_TIMEOUT") or 5.0),
    )
    engine = ClusterEngine(root, client, corpus)
    client.load(engine.generation)
    return engine


def index_sharded(corpus: Path, index: Path | None, shards: int | None, address: str | None) -> str:
    """`hoidap index --shards N`: build or update the sharded index (as Ray tasks when
    `address` names a cluster); a line saying what it holds."""
    if address:
        connect(address)
    root = sharded_index_path(corpus, index)
    count = shards or _shards_of(root)
    try:
        build_sharded(corpus, root, count, _print_notice, use_ray=bool(address))
    except WriterBusy:
        _print_notice(
            "another process (hoidap index --watch, or a bot) keeps this sharded index "
            "current: its state now"
        )
    stats = store.load_global(root, store.current_generation(root))
    return (
        f"{stats.n_documents} documents, {stats.n_passages} passages, "
        f"{int(stats.doc_sentence[-1])} sentences indexed in {count} shards at {root}"
    )


def watch_sharded(
    corpus: Path, index: Path | None, address: str | None, notice: Callable[[str], None]
) -> None:
    """`hoidap index --watch` on a sharded index: keep it current until interrupted (see
    `watching`); with a cluster, its actors load every update as it is saved."""
    from retrieval.cluster.watching import ShardedWatcher

    root = sharded_index_path(corpus, index)
    ShardedWatcher(corpus, root, notice, use_ray=bool(address)).run()


def _print_notice(message: str) -> None:
    print(f"hoidap: {message}", file=sys.stderr, flush=True)


__all__ = [
    "ClusterEngine",
    "ClusterUnavailable",
    "ShardsUnavailable",
    "build_sharded",
    "connect",
    "index_sharded",
    "open_cluster",
    "sharded_index_path",
    "watch_sharded",
]
