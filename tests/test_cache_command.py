"""`hoidap cache list|prune`: the indexes piling up in the user cache, shown and pruned;
only folders hoidap made are ever deleted."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOIDAP = str(Path(sys.executable).with_name("hoidap"))


def hoidap(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HOIDAP, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
        timeout=120,
    )


def test_list_and_prune(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    corpora = []
    for name in ("mot", "hai"):
        corpus = tmp_path / name
        corpus.mkdir()
        (corpus / "tin.txt").write_text(f"Tin {name}\n\nGiá xăng giảm {name} lần.\n", "utf-8")
        assert hoidap(cache, "index", "--corpus", str(corpus)).returncode == 0
        corpora.append(corpus)
    foreign = cache / "hoidap" / "index-not-ours"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep", encoding="utf-8")

    listed = hoidap(cache, "cache", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 3 and lines[-1].startswith("2 folders")
    assert all(str(corpus) in listed.stdout for corpus in corpora)
    assert "index-not-ours" not in listed.stdout

    shutil.rmtree(corpora[0])
    assert f"{corpora[0]} (gone)" in hoidap(cache, "cache", "list").stdout
    pruned = hoidap(cache, "cache", "prune")
    assert pruned.returncode == 0
    assert pruned.stdout.splitlines()[-1].startswith("1 folders deleted")
    assert str(corpora[0]) in pruned.stdout
    remaining = hoidap(cache, "cache", "list").stdout
    assert str(corpora[1]) in remaining and str(corpora[0]) not in remaining

    everything = hoidap(cache, "cache", "prune", "--all")
    assert everything.stdout.splitlines()[-1].startswith("1 folders deleted")
    assert [p.name for p in (cache / "hoidap").iterdir()] == ["index-not-ours"]
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep"
