"""A sharded index in process (no Ray): the same answers as one index, updates that
reach one shard and every shard's statistics, the command line."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval import Engine
from retrieval.cluster import store
from retrieval.cluster.building import build_sharded, partition, shard_of
from retrieval.cluster.coordinator import ClusterEngine
from retrieval.cluster.serving import LocalShards
from retrieval.documents import CorpusError
from retrieval.index import load_live
from tests.cluster_support import copy_seeds, differences, seed_questions

NEW_ARTICLE = """Hà Nội khai trương tuyến buýt điện ven sông Hồng

Sáng 30/11, Sở Giao thông vận tải Hà Nội khai trương tuyến buýt điện số 99 chạy ven sông Hồng.
Tuyến dài 27 km, có 41 điểm dừng, vé lượt giá 9.000 đồng.
Ông Nguyễn Văn Khánh, Giám đốc Trung tâm quản lý giao thông công cộng, cắt băng khai trương.
"""


def _sharded(root: Path) -> ClusterEngine:
    return ClusterEngine(root, LocalShards(root))


@pytest.mark.parametrize("shards", [3])
def test_sharded_answers_equal_one_index(tmp_path: Path, shards: int) -> None:
    corpus = copy_seeds(tmp_path)
    single = Engine.open(corpus, tmp_path / "single", notice=lambda _: None)
    build_sharded(corpus, tmp_path / "sharded", shards, lambda _: None)
    sharded = _sharded(tmp_path / "sharded")
    assert len(sharded.documents) == len(single.documents)
    assert [d.doc_id for d in sharded.documents] == [d.doc_id for d in single.documents]
    questions = seed_questions()
    assert differences(single, sharded, questions) == []
    # Citations shown in context resolve to the same passage.
    answer = single.ask(questions[0])
    assert answer.answered
    for citation in answer.sentences:
        assert sharded.passage_of(citation.sentence_id) == single.passage_of(citation.sentence_id)
        assert sharded.cited_passage(citation) == single.cited_passage(citation) is not None


def test_shards_are_a_stable_partition_of_the_corpus(tmp_path: Path) -> None:
    corpus = copy_seeds(tmp_path)
    parts = partition(corpus, 3)
    files = sorted(f for part in parts for f in part)
    assert files == sorted(corpus.glob("*.txt"))
    moved = copy_seeds(tmp_path / "elsewhere")
    assert [shard_of(f, moved, 3) for f in sorted(moved.glob("*.txt"))] == [
        shard_of(f, corpus, 3) for f in files
    ]
    with pytest.raises(CorpusError, match="leave one empty"):
        build_sharded(corpus, tmp_path / "too-many", 40, lambda _: None)


def _segments(root: Path, shard: int) -> list[str]:
    return [segment.name for segment in load_live(store.shard_path(root, shard)).segments]


def _stamps(folder: Path) -> dict[str, int]:
    return {str(f.relative_to(folder)): f.stat().st_mtime_ns for f in folder.rglob("*")}


def test_update_writes_a_segment_into_its_shard_and_every_shards_statistics(
    tmp_path: Path,
) -> None:
    corpus = copy_seeds(tmp_path, copies=3)
    root = tmp_path / "sharded"
    first = build_sharded(corpus, root, 2, lambda _: None)
    sharded = _sharded(root)
    question = "Tuyến buýt điện số 99 dài bao nhiêu km?"
    assert not sharded.ask(question).answered
    before = [_segments(root, s) for s in range(2)]
    stamps = [_stamps(store.shard_path(root, s)) for s in range(2)]

    new = corpus / "zz_buyt_dien.txt"
    new.write_text(NEW_ARTICLE, encoding="utf-8")
    target = shard_of(new, corpus, 2)
    notices: list[str] = []
    second = build_sharded(corpus, root, 2, notices.append)
    assert notices[0] == f"indexing shards {target} of 2"
    assert second != first
    after = _segments(root, target)
    # One small segment more; the base segment is the same folder, its files untouched.
    assert after[:-1] == before[target] and len(after) == len(before[target]) + 1
    base = store.shard_path(root, target) / before[target][0]
    assert _stamps(base) == {
        name[len(before[target][0]) + 1 :]: stamp
        for name, stamp in stamps[target].items()
        if name.startswith(f"{before[target][0]}/")
    }
    added = store.shard_path(root, target) / after[-1]
    assert (
        sum(f.stat().st_size for f in added.rglob("*"))
        < sum(f.stat().st_size for f in base.rglob("*")) / 5
    )
    # The other shard's files are as they were.
    assert _stamps(store.shard_path(root, 1 - target)) == stamps[1 - target]
    # The same engine follows the new generation; every shard scores with the new counts,
    # exactly as one index built afresh of the changed corpus.
    answer = sharded.ask(question)
    assert answer.answered and answer.sentences[0].document.path == new
    assert any("27 km" in c.text for c in answer.sentences)
    questions = [question, *seed_questions()[:20]]
    single = Engine.open(corpus, tmp_path / "single", notice=lambda _: None)
    assert [d.path for d in sharded.documents] == [d.path for d in single.documents]
    assert differences(single, sharded, questions) == []

    # Changed: the old version deleted (its segment held nothing else, so it goes), the
    # new one read into a new segment; the base is kept as it is.
    new.write_text(NEW_ARTICLE.replace("27 km", "31 km"), encoding="utf-8")
    build_sharded(corpus, root, 2, lambda _: None)
    changed = _segments(root, target)
    assert changed[:-1] == before[target] and changed[-1] not in after
    answer = sharded.ask(question)
    assert any("31 km" in c.text for c in answer.sentences)
    assert not any("27 km" in c.text for c in answer.sentences)
    single = Engine.open(corpus, tmp_path / "single-changed", notice=lambda _: None)
    assert differences(single, sharded, questions) == []

    # Removed, one from a base segment too: marked deleted there, never cited again.
    new.unlink()
    gone = corpus / "c2_000_a161d4bec09452eb.txt"
    gone.unlink()
    build_sharded(corpus, root, 2, lambda _: None)
    assert not sharded.ask(question).answered
    shard = load_live(store.shard_path(root, shard_of(gone, corpus, 2)))
    assert len(shard.segments[0].deleted) == 1
    single = Engine.open(corpus, tmp_path / "single-removed", notice=lambda _: None)
    assert differences(single, sharded, questions) == []
    # An unchanged corpus changes nothing.
    notices.clear()
    build_sharded(corpus, root, 2, notices.append)
    assert not any(n.startswith("indexing") for n in notices)


def test_index_command_builds_shards_and_rejects_zero(tmp_path: Path) -> None:
    corpus = copy_seeds(tmp_path)
    run = [sys.executable, "-m", "retrieval", "index", "--corpus", str(corpus)]
    done = subprocess.run(
        [*run, "--index", str(tmp_path / "idx"), "--shards", "2"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert "5 documents" in done.stdout and "2 shards" in done.stdout
    bad = subprocess.run([*run, "--shards", "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and "at least 1" in bad.stderr


def test_cache_lists_and_prunes_sharded_indexes_it_made_only(tmp_path: Path) -> None:
    hoidap = str(Path(sys.executable).with_name("hoidap"))
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([hoidap, *args], capture_output=True, text=True, env=env)

    corpus = copy_seeds(tmp_path)
    assert run("index", "--corpus", str(corpus), "--shards", "2").returncode == 0
    cache = tmp_path / "cache" / "hoidap"
    (made,) = cache.iterdir()
    assert made.name.endswith("-shards")
    # A copy someone put a file of theirs in is no longer only hoidap's: never touched.
    theirs = cache / "index-theirs-shards"
    shutil.copytree(made, theirs)
    (theirs / "notes.txt").write_text("keep", encoding="utf-8")
    listed = run("cache", "list")
    assert listed.returncode == 0, listed.stderr
    assert f"shards  {made.name}  {corpus}" in listed.stdout
    assert "index-theirs" not in listed.stdout

    shutil.rmtree(corpus)
    assert f"{corpus} (gone)" in run("cache", "list").stdout
    pruned = run("cache", "prune", "--all")
    assert pruned.stdout.splitlines()[-1].startswith("1 folders deleted"), pruned.stdout
    assert [p.name for p in cache.iterdir()] == [theirs.name]
    assert (theirs / "notes.txt").read_text(encoding="utf-8") == "keep"
