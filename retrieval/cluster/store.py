"""A sharded index on disk.

    <root>/shard-<i>/       an ordinary index (see retrieval.index) over shard i's documents
    <root>/global-<hex>/    a generation of the global statistics: stats.json, the
                            coordinator's arrays and each shard's overlay (`shard<i>_*.npy`)
    <root>/CURRENT          names the live generation of the global statistics

The global statistics record each shard's fingerprint: a shard saved after them (an
update between the shard's save and the merge) does not match, and is not served with
statistics that do not describe it. A new generation is written whole and then named in
CURRENT atomically; earlier ones are removed, while processes that mapped them keep
their maps.
"""

import json
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.cluster.stats import GlobalStats, Overlay
from retrieval.index import IndexMissing, IndexUnreadable
from retrieval.index.folder import MARKER

_CURRENT = "CURRENT"
_PREFIX = "global-"
_META = "stats.json"
# The global vocabulary apart: only the coordinator reads it, shards never do.
_TERMS = "terms.json"


# Every name hoidap gives in a sharded index's root (see above; writer.lock: `watching`).
_OURS = re.compile(
    rf"{MARKER}|{_CURRENT}|writer\.lock|shard-[0-9]+|{_PREFIX}[0-9a-f]{{16}}"
    rf"|{_CURRENT}\.{_PREFIX}[0-9a-f]{{16}}\.tmp"
)
_SHARD = re.compile(r"shard-[0-9]+")


def is_sharded(folder: Path) -> bool:
    """Whether `folder` looks like a sharded index's root (holds a shard folder)."""
    return any(_SHARD.fullmatch(entry.name) for entry in folder.iterdir())


def owned(root: Path) -> bool:
    """Whether everything in `root` is what hoidap writes in a sharded index: its marker,
    the pointer and generations of the global statistics, the writer lock, and shard
    folders each marked as an index folder. Only then may `hoidap cache prune` delete it."""
    if not (root / MARKER).is_file():
        return False
    for entry in root.iterdir():
        if entry.is_symlink() or not _OURS.fullmatch(entry.name):
            return False
        if _SHARD.fullmatch(entry.name) and not (entry.is_dir() and (entry / MARKER).is_file()):
            return False
    return True


def shard_path(root: Path, shard: int) -> Path:
    return root / f"shard-{shard}"


def shard_count(root: Path) -> int:
    return len(load_meta(root, current_generation(root))["fingerprints"])


def current_generation(root: Path) -> str:
    try:
        generation = (root / _CURRENT).read_text(encoding="ascii").strip()
    except FileNotFoundError as exc:
        raise IndexMissing(f"no sharded index at {root}") from exc
    except (OSError, ValueError) as exc:
        raise IndexUnreadable(f"{root / _CURRENT} is damaged: {exc}") from exc
    if not generation.startswith(_PREFIX) or "/" in generation:
        raise IndexUnreadable(f"{root / _CURRENT} names no generation")
    return generation


def save_global(root: Path, stats: GlobalStats, overlays: list[Overlay]) -> str:
    """Write a new generation of the global statistics and make it the live one."""
    generation = f"{_PREFIX}{secrets.token_hex(8)}"
    target = root / generation
    target.mkdir(parents=True)
    try:
        for name in GlobalStats.ARRAYS:
            np.save(target / f"{name}.npy", getattr(stats, name))
        for shard, overlay in enumerate(overlays):
            for name in Overlay.NAMES:
                np.save(target / f"shard{shard}_{name}.npy", getattr(overlay, name))
        meta = stats.meta()
        (target / _TERMS).write_text(json.dumps(meta.pop("terms"), ensure_ascii=False), "utf-8")
        (target / _META).write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
        for file in target.iterdir():
            with open(file, "rb") as f:
                os.fsync(f.fileno())
        pointer = root / f"{_CURRENT}.{generation}.tmp"
        pointer.write_text(generation, encoding="ascii")
        os.replace(pointer, root / _CURRENT)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    for entry in root.iterdir():
        if entry.name.startswith(_PREFIX) and entry.name != generation:
            shutil.rmtree(entry, ignore_errors=True)
    return generation


def _array(folder: Path, name: str) -> np.ndarray:
    try:
        return np.load(folder / f"{name}.npy", mmap_mode="r")
    except FileNotFoundError as exc:
        raise IndexUnreadable(f"{folder.name}/{name}.npy is missing") from exc
    except (OSError, ValueError) as exc:
        raise IndexUnreadable(f"{folder.name}/{name}.npy is damaged: {exc}") from exc


def load_meta(root: Path, generation: str, name: str = _META) -> Any:
    try:
        return json.loads((root / generation / name).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexMissing(f"{generation} was replaced") from exc
    except (OSError, ValueError) as exc:
        raise IndexUnreadable(f"{generation}/{name} is damaged: {exc}") from exc


def load_global(root: Path, generation: str) -> GlobalStats:
    meta = load_meta(root, generation)
    arrays = {name: np.asarray(_array(root / generation, name)) for name in GlobalStats.ARRAYS}
    return GlobalStats(
        terms=load_meta(root, generation, _TERMS),
        abbreviations=meta["abbreviations"],
        average_doc_terms=float(meta["average_doc_terms"]),
        total_length=int(meta["total_length"]),
        fingerprints=meta["fingerprints"],
        manifests=meta.get("manifests") or [""] * len(meta["fingerprints"]),
        **arrays,
    )


def load_overlay(root: Path, generation: str, shard: int) -> Overlay:
    folder = root / generation
    return Overlay(
        **{name: np.asarray(_array(folder, f"shard{shard}_{name}")) for name in Overlay.NAMES}
    )
