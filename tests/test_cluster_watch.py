"""A watched sharded index (in process, no Ray): changed files routed to their shards,
each updated by a small segment, the global statistics published, the engine answering
from them; `hoidap index --watch --shards N` as a headless writer."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from retrieval import Engine
from retrieval.cluster import store
from retrieval.cluster.building import build_sharded, shard_of
from retrieval.cluster.coordinator import ClusterEngine
from retrieval.cluster.serving import LocalShards
from retrieval.cluster.watching import ShardedWatcher, route
from retrieval.index import load_live
from tests.cluster_support import copy_seeds, differences, seed_questions
from tests.test_cluster import NEW_ARTICLE

QUESTION = "Tuyến buýt điện số 99 dài bao nhiêu km?"


def _segments(root: Path, shard: int) -> list[str]:
    return [segment.name for segment in load_live(store.shard_path(root, shard)).segments]


def test_changed_paths_are_routed_to_their_shards(tmp_path: Path) -> None:
    corpus = copy_seeds(tmp_path)
    files = sorted(corpus.glob("*.txt"))
    folder = corpus / "new"
    folder.mkdir()
    inside = folder / "a.txt"
    inside.write_text(NEW_ARTICLE, encoding="utf-8")
    gone_file, gone_folder = corpus / "removed.txt", corpus / "removed-folder"
    routed = route({files[0], folder, gone_file, gone_folder}, corpus, 3)
    expected: dict[int, set[Path]] = {s: {gone_folder} for s in range(3)}
    for path in (files[0], inside, gone_file):
        expected[shard_of(path, corpus, 3)].add(path)
    assert {s: set(paths) for s, paths in routed.items()} == expected


def test_watcher_routes_changes_to_their_shards_and_publishes(tmp_path: Path) -> None:
    corpus = copy_seeds(tmp_path, copies=3)
    root = tmp_path / "sharded"
    build_sharded(corpus, root, 2, lambda _: None)
    engine = ClusterEngine(root, LocalShards(root), corpus)
    before = [_segments(root, s) for s in range(2)]
    notices: list[str] = []
    watcher: ShardedWatcher = engine.watch(notices.append)
    try:
        assert watcher.wait_for(1, 60)
        assert not engine.ask(QUESTION).answered
        folder = corpus / "giao-thong"
        folder.mkdir()
        new = folder / "buyt.txt"
        new.write_text(NEW_ARTICLE, encoding="utf-8")
        target = shard_of(new, corpus, 2)
        deadline = time.monotonic() + 60
        while not engine.ask(QUESTION).answered:
            assert time.monotonic() < deadline, notices
            time.sleep(0.2)
        # One segment more in its shard only; the other shard is as it was.
        assert _segments(root, target)[:-1] == before[target]
        assert len(_segments(root, target)) == len(before[target]) + 1
        assert _segments(root, 1 - target) == before[1 - target]
        assert any(n.endswith(f"in shards {target}") for n in notices)
        single = Engine.open(corpus, tmp_path / "single", notice=lambda _: None)
        assert differences(single, engine, [QUESTION, *seed_questions()[:10]]) == []

        # A folder moved out of the corpus: its documents are removed from their shard.
        os.rename(folder, tmp_path / "moved-out")
        deadline = time.monotonic() + 60
        while engine.ask(QUESTION).answered:
            assert time.monotonic() < deadline, notices
            time.sleep(0.2)
    finally:
        watcher.stop()


def test_index_watch_command_keeps_a_sharded_index_current(tmp_path: Path) -> None:
    corpus = copy_seeds(tmp_path, copies=3)
    index = tmp_path / "idx"
    command = [sys.executable, "-m", "retrieval", "index", "--corpus", str(corpus)]
    process = subprocess.Popen(
        [*command, "--index", str(index), "--shards", "2", "--watch"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    try:
        deadline = time.monotonic() + 120
        while not (index / "CURRENT").exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        engine = ClusterEngine(index, LocalShards(index), corpus)
        time.sleep(1.0)  # the watcher is on, past its start-up check
        (corpus / "zz_buyt_dien.txt").write_text(NEW_ARTICLE, encoding="utf-8")
        while not engine.ask(QUESTION).answered:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        # Another `hoidap index` meanwhile says what the index holds; when the watcher is
        # writing (its shards' locks held, as until it confirms the corpus's fingerprints),
        # who keeps it current.
        other = subprocess.run(
            [*command, "--index", str(index), "--shards", "2"], capture_output=True, text=True
        )
        assert other.returncode == 0, other.stderr
        assert "21 documents" in other.stdout and "Traceback" not in other.stderr
        assert "another process" in other.stderr or "indexing" not in other.stderr
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert "watching the corpus" in stderr
    assert "Traceback" not in stderr
