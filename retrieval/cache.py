"""hoidap's folders in the user cache: an index per corpus folder (`index-*`, and
`index-*-shards` for a sharded one) and the corpora `hoidap eval` writes from SQuAD files
(`squad-*`). Every corpus folder ever asked leaves an index behind; `hoidap cache list`
shows them and `hoidap cache prune` deletes those whose corpus is gone (or all of them),
and only folders hoidap made."""

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from retrieval.index import cache_root
from retrieval.index.folder import CURRENT, MARKER, check_folder, recorded_corpus


@dataclass(frozen=True)
class Cached:
    path: Path
    kind: str  # "index", "shards" or "eval"
    size: int  # bytes on disk
    modified: float  # when last written (seconds since the epoch)
    corpus: Path | None  # the corpus an index was built from, when recorded

    @property
    def orphaned(self) -> bool:
        """An index whose corpus folder no longer exists."""
        return (
            self.kind in ("index", "shards")
            and self.corpus is not None
            and not self.corpus.is_dir()
        )


def _disk_size(folder: Path) -> int:
    total = 0
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                continue
    return total


def _ours(folder: Path) -> bool:
    """Made by hoidap: an index folder with the marker (or an old one's layout), or an
    eval folder holding only its corpus and index."""
    if folder.name.startswith("index-"):
        from retrieval.cluster.store import is_sharded, owned

        if is_sharded(folder):
            return owned(folder)
        try:
            check_folder(folder)
        except Exception:
            return False
        return (folder / MARKER).is_file() or (folder / CURRENT).is_file()
    return {entry.name for entry in folder.iterdir()} <= {"corpus", "index"}


def cached() -> list[Cached]:
    """hoidap's folders in the cache, largest first."""
    root = cache_root()
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        kind = {"index-": "index", "squad-": "eval"}.get(folder.name[:6])
        if kind is None or not folder.is_dir() or folder.is_symlink() or not _ours(folder):
            continue
        if kind == "index" and (folder / "shard-0").is_dir():
            kind = "shards"  # a sharded index (retrieval.cluster)
        corpus = folder / "corpus" if kind == "eval" else recorded_corpus(folder)
        found.append(Cached(folder, kind, _disk_size(folder), folder.stat().st_mtime, corpus))
    return sorted(found, key=lambda c: c.size, reverse=True)


def prune(everything: bool) -> list[Cached]:
    """Delete the indexes whose corpus is gone (with `everything`, all of hoidap's folders
    in the cache); returns what was deleted."""
    removed = []
    for entry in cached():
        if everything or entry.orphaned:
            shutil.rmtree(entry.path)
            removed.append(entry)
    return removed


def describe(entry: Cached) -> str:
    size = f"{entry.size / 2**20:8.1f} MB"
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.modified))
    if entry.corpus is None:
        what = "corpus not recorded"
    elif entry.orphaned:
        what = f"{entry.corpus} (gone)"
    else:
        what = str(entry.corpus)
    return f"{size}  {when}  {entry.kind:5}  {entry.path.name}  {what}"
