"""A running engine follows its corpus folder: files added, changed, removed and renamed
while questions are answered, with no error and no stale citation; readers in other
processes follow one writer; a crash in the middle of a merge leaves a usable index."""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from live_corpus import CAT, CAT_TEXT, ROOT, SEEDS, quiet, seeds_without_merges

from retrieval import Engine
from retrieval.index import IndexWriter, load_index, merging, open_index
from retrieval.index.live import LiveIndex
from retrieval.watch import Watcher


def until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


class Asker(threading.Thread):
    """Asks `question` again and again, recording errors and every citation."""

    def __init__(self, engine: Engine, question: str) -> None:
        super().__init__(daemon=True)
        self.engine, self.question = engine, question
        self.errors: list[BaseException] = []
        self.cited: list[tuple[Path, int, int, str]] = []
        self.asked = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                answer = self.engine.ask(self.question)
                self.cited += [(c.document.path, c.start, c.end, c.text) for c in answer.sentences]
                self.engine.search(self.question, 3)
                self.asked += 1
            except BaseException as exc:
                self.errors.append(exc)


def cited_ids(engine: Engine, question: str) -> list[str]:
    return [citation.document.doc_id for citation in engine.ask(question).sentences]


def cites_current(engine: Engine, question: str) -> list[str]:
    """The ids of the documents cited, each citation checked against the file as it is."""
    ids = []
    for citation in engine.ask(question).sentences:
        text = citation.document.path.read_text(encoding="utf-8")
        assert text[citation.start : citation.end] == citation.text
        ids.append(citation.document.doc_id)
    return ids


def test_changes_while_answering_are_applied_with_no_stale_citation(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    path = tmp_path / "index"
    engine = Engine.open(corpus, path, notice=quiet)
    history: dict[Path, set[str]] = {}

    def write(name: str, text: str) -> None:
        file = corpus / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
        history.setdefault(file, set()).add(text)

    asker = Asker(engine, CAT)
    with Watcher(engine, corpus, path, settle=0.2, follow=0.1, notice=quiet):
        asker.start()
        write("tin/meo.txt", CAT_TEXT.format(name="Mướp"))
        until(lambda: "tin/meo" in cited_ids(engine, CAT))
        assert "tin/meo" in cites_current(engine, CAT)
        write("tin/meo.txt", CAT_TEXT.format(name="Vàng"))
        until(lambda: any("Vàng" in c.text for c in engine.ask(CAT).sentences))
        assert cites_current(engine, CAT)[0] == "tin/meo"
        (corpus / "tin/meo.txt").rename(corpus / "tin/meo-vang.txt")
        history[corpus / "tin/meo-vang.txt"] = history[corpus / "tin/meo.txt"]
        until(lambda: "tin/meo-vang" in cited_ids(engine, CAT))
        assert "tin/meo" not in cites_current(engine, CAT)
        # A burst: many files at once are applied in a few batches, not one by one.
        for n in range(40):
            write(f"dot/tin-{n:02d}.txt", f"Tin số {n}\n\nBản tin thứ {n} nói về giá lúa gạo.\n")
        until(lambda: len(engine.documents) == 5 + 1 + 40)
        (corpus / "tin/meo-vang.txt").unlink()
        until(lambda: not any("meo" in i for i in cited_ids(engine, CAT)))
        cites_current(engine, CAT)
        asker.done.set()
        asker.join()
    assert asker.errors == []
    assert asker.asked > 10
    for source, start, end, text in asker.cited:
        # Every citation quoted a version of its file that existed at some point.
        versions = history.get(source) or {source.read_text(encoding="utf-8")}
        assert any(v[start:end] == text for v in versions), (source, text)
    index = engine.index
    assert isinstance(index, LiveIndex) and len(index.segments) < 10


def test_headless_writer_and_two_reading_processes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    path = tmp_path / "index"
    open_index(corpus, path, notice=quiet)
    reader = tmp_path / "reader.py"
    reader.write_text(READER, encoding="utf-8")
    readers = [
        subprocess.Popen(
            [sys.executable, str(reader), str(corpus), str(path), str(tmp_path / f"r{i}.json")],
            cwd=ROOT,
        )
        for i in range(2)
    ]
    # This process holds the writer lock: the readers only follow its commits.
    with IndexWriter(corpus, path, settle=0.0, notice=quiet) as writer:
        until(lambda: all((tmp_path / f"r{i}.ready").exists() for i in range(2)), 60)
        for name in ("Mướp", "Vàng", "Mun"):
            (corpus / "meo.txt").write_text(CAT_TEXT.format(name=name), encoding="utf-8")
            writer.update()
            time.sleep(0.5)
        (corpus / "meo.txt").unlink()
        writer.update()
        (tmp_path / "stop").touch()
        for process in readers:
            assert process.wait(timeout=60) == 0
    for i in range(2):
        report = json.loads((tmp_path / f"r{i}.json").read_text(encoding="utf-8"))
        assert report["errors"] == []
        assert report["asked"] > 5
        # They saw the cat come and go, and never a name that was not in the file then.
        assert {"Mướp", "Vàng", "Mun"} & set(report["names"])
        assert report["last"] == []


READER = """
import json, sys, time
from pathlib import Path
from retrieval import Engine
from retrieval.index import load_index
from retrieval.watch import Watcher

corpus, path, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
engine = Engine(load_index(path), corpus, path)
errors, names, asked, last = [], [], 0, None
question = "Con mèo tên gì đã leo lên cây xoài trong sân nhà ông Tư?"
with Watcher(engine, corpus, path, follow=0.05, full_check=3600) as watcher:
    out.with_suffix(".ready").touch()
    while not (out.parent / "stop").exists() or asked < 6:
        try:
            cited = [c for c in engine.ask(question).sentences if c.document.doc_id == "meo"]
            names += [n for c in cited for n in ("Mướp", "Vàng", "Mun") if n in c.text]
            asked += 1
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.02)
    assert watcher.writer is None  # the test process is the writer
    time.sleep(0.5)
    last = [c.text for c in engine.ask(question).sentences if c.document.doc_id == "meo"]
out.write_text(json.dumps({"errors": errors, "asked": asked, "names": names, "last": last}))
"""


CRASH = """
import os, signal, sys
from pathlib import Path
from retrieval.index import IndexWriter, merging, storage, segments

corpus, path, point = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
merging.MAX_RECENT = 0
calls = 0

def crash_after(function, after):
    def crashing(*args, **kwargs):
        global calls
        calls += 1
        if calls > after:
            # The whole writer, the merging child and its parent, as by kill -9.
            os.killpg(0, signal.SIGKILL)
        return function(*args, **kwargs)
    return crashing

if point == "writing":  # in the middle of writing the merged segment's arrays
    storage._write_array = crash_after(storage._write_array, 5)
elif point == "pointer":  # the new manifest written, LIVE not yet replaced
    replace = os.replace

    def replace_or_crash(source, target):
        if str(target).endswith("LIVE"):
            os.killpg(0, signal.SIGKILL)
        replace(source, target)

    segments.os.replace = replace_or_crash
with IndexWriter(corpus, path, settle=0.0, notice=lambda _: None) as writer:
    writer.merge()
sys.exit(3)
"""


@pytest.mark.parametrize("point", ["writing", "pointer"])
def test_a_crash_mid_merge_leaves_a_consistent_index(
    tmp_path: Path, point: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = seeds_without_merges(tmp_path, monkeypatch)
    path = tmp_path / "index"
    open_index(corpus, path, notice=quiet)
    for name in ("Mướp", "Vàng"):
        (corpus / f"meo-{name}.txt").write_text(CAT_TEXT.format(name=name), encoding="utf-8")
        open_index(corpus, path, notice=quiet)
    before = load_index(path)
    assert isinstance(before, LiveIndex) and len(before.segments) == 3
    script = tmp_path / "crash.py"
    script.write_text(CRASH, encoding="utf-8")
    crashed = subprocess.run(
        [sys.executable, str(script), str(corpus), str(path), point],
        cwd=ROOT,
        timeout=600,
        start_new_session=True,
    )
    assert crashed.returncode == -signal.SIGKILL
    after = load_index(path, verify=True)
    assert after.manifest == before.manifest
    assert [d.path for d in after.live_documents] == [d.path for d in before.live_documents]
    assert "meo-Vàng" in cites_current(Engine(after), CAT.replace("gì", "Vàng"))
    # The next writer merges, and leaves nothing of the crashed merge behind. It waits for
    # the lock: the merging child, killed too, may outlive its parent for a moment.
    monkeypatch.setattr(merging, "MAX_RECENT", 0)
    with IndexWriter(corpus, path, notice=quiet, wait=True) as writer:
        assert writer.merge()
        merged = writer.index
    assert len(merged.segments) == 2
    names = {p.name for p in path.iterdir()}
    assert {s.name for s in merged.segments} | {merged.manifest} <= names
    assert len([n for n in names if n.startswith(("seg-", "manifest-", "del-"))]) == 3
    assert not os.environ.get("HOIDAP_KEEP")
