"""`IndexWriter.update_paths`: applying only the paths file system events named (a batch of
them), folders included, and nothing else of the corpus."""

import os
import shutil
from pathlib import Path

import pytest
from live_corpus import quiet, seeds_without_merges

from retrieval import Engine
from retrieval.documents import CorpusError, corpus_files
from retrieval.index import IndexWriter, corpus_fingerprint, merging, open_index
from retrieval.index.writer import Changes


def article(name: str, word: str) -> str:
    return f"Tin {name}\n\nCon mèo tên {name} thích ăn {word} vào buổi sáng.\n"


@pytest.fixture
def writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> IndexWriter:
    """The seeds and a folder `tin` of four articles, indexed (merges held off)."""
    corpus = seeds_without_merges(tmp_path, monkeypatch)
    (corpus / "tin").mkdir()
    for name in ("Mướp", "Vàng", "Mun", "Tam"):
        (corpus / "tin" / f"{name}.txt").write_text(article(name, "cá"), encoding="utf-8")
    path = tmp_path / "index"
    open_index(corpus, path, notice=quiet)
    with IndexWriter(corpus, path, notice=quiet) as writer:
        yield writer


def indexed(writer: IndexWriter) -> dict[str, str]:
    """doc_id -> the indexed text of each live document."""
    index = writer.index
    texts: dict[str, str] = {}
    for s in range(index.n_sentences):
        d = int(index.sentence_doc[s])
        if not index.is_deleted(d):
            doc_id = index.documents[d].doc_id
            texts[doc_id] = texts.get(doc_id, "") + index.sentence_text(s) + " "
    return texts


def restamp(file: Path) -> None:
    """Give the file another mtime (a same-size rewrite within one tick of the file
    system's clock would otherwise keep its stamp)."""
    stat = file.stat()
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns - 10**9))


def test_only_the_named_paths_are_applied(writer: IndexWriter) -> None:
    tin = writer.corpus / "tin"
    (tin / "Mướp.txt").write_text(article("Mướp", "thịt"), encoding="utf-8")
    restamp(tin / "Mướp.txt")
    (tin / "Mới.txt").write_text(article("Mới", "tôm"), encoding="utf-8")
    (tin / "Vàng.txt").unlink()
    # Changed on disk, but named by no event in this batch.
    (tin / "Mun.txt").write_text(article("Mun", "cua"), encoding="utf-8")
    restamp(tin / "Mun.txt")
    before = writer.index.manifest
    named = [tin / "Mướp.txt", tin / "Mới.txt", tin / "Vàng.txt"]
    assert writer.update_paths(named) == Changes(added=2, removed=2, waiting=0)
    assert writer.index.manifest != before
    texts = indexed(writer)
    assert "thịt" in texts["tin/Mướp"] and "tôm" in texts["tin/Mới"]
    assert "tin/Vàng" not in texts
    assert "cá" in texts["tin/Mun"]  # not named: its old version stays
    # The corpus fingerprint is unknown after a path-limited update; a full one confirms it.
    assert writer.index.fingerprint == ""
    assert writer.update() == Changes(added=1, removed=1, waiting=0)
    assert "cua" in indexed(writer)["tin/Mun"]
    assert writer.index.fingerprint == corpus_fingerprint(corpus_files(writer.corpus))
    # Each document cited from its current file.
    answer = Engine(writer.index).ask("Con mèo tên Mun thích ăn gì?")
    assert answer.sentences and "cua" in answer.sentences[0].text


def test_a_removed_or_renamed_folder_is_applied_from_its_own_path(writer: IndexWriter) -> None:
    corpus = writer.corpus
    (corpus / "tin").rename(corpus / "tin-cu")
    # A renamed folder: one event for each of its names, none for the files inside.
    assert writer.update_paths([corpus / "tin", corpus / "tin-cu"]) == Changes(4, 4, 0)
    texts = indexed(writer)
    assert {"tin-cu/Mướp", "tin-cu/Tam"} <= set(texts)
    assert not any(doc_id.startswith("tin/") for doc_id in texts)
    shutil.rmtree(corpus / "tin-cu")
    assert writer.update_paths([corpus / "tin-cu"]) == Changes(0, 4, 0)
    assert not any(doc_id.startswith("tin") for doc_id in indexed(writer))


def test_paths_that_are_not_documents_of_the_corpus_change_nothing(
    writer: IndexWriter, tmp_path: Path
) -> None:
    corpus = writer.corpus
    hidden = corpus / ".nhap" / "meo.txt"
    hidden.parent.mkdir()
    hidden.write_text(article("Ẩn", "cá"), encoding="utf-8")
    (corpus / "anh.jpg").write_bytes(b"\xff\xd8\xff")
    outside = tmp_path / "ngoai.txt"
    outside.write_text(article("Ngoài", "cá"), encoding="utf-8")
    before = writer.index.manifest
    paths = [hidden, hidden.parent, corpus / "anh.jpg", outside, corpus / "khong-co.txt"]
    assert writer.update_paths(paths) == Changes(0, 0, 0)
    assert writer.index.manifest == before


def test_a_file_still_being_written_waits(writer: IndexWriter) -> None:
    new = writer.corpus / "tin" / "Đang.txt"
    new.write_text(article("Đang", "cá"), encoding="utf-8")
    writer.settle = 3600.0  # modified within the settle time: taken as still being written
    assert writer.update_paths([new]) == Changes(0, 0, 1)
    assert writer.waiting == {new.absolute()}
    assert "tin/Đang" not in indexed(writer)
    writer.settle = 0.0
    assert writer.update_paths(list(writer.waiting)) == Changes(1, 0, 0)
    assert writer.waiting == set()
    assert "tin/Đang" in indexed(writer)


def test_after_a_merge_changes_delete_the_documents_where_it_moved_them(
    writer: IndexWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    tin = writer.corpus / "tin"
    (writer.corpus / "000_a161d4bec09452eb.txt").unlink()  # moves every later document
    (tin / "Mới.txt").write_text(article("Mới", "tôm"), encoding="utf-8")
    writer.update()
    monkeypatch.setattr(merging, "MAX_RECENT", 0)
    monkeypatch.setattr(merging, "RECENT_SHARE", 0.0)
    assert writer.merge() and len(writer.index.segments) == 1
    for name in ("Mướp", "Vàng", "Mới"):
        (tin / f"{name}.txt").write_text(article(name, "rau"), encoding="utf-8")
        restamp(tin / f"{name}.txt")
    (tin / "Tam.txt").unlink()
    names = [tin / f"{name}.txt" for name in ("Mướp", "Vàng", "Mới", "Tam")]
    assert writer.update_paths(names) == Changes(added=3, removed=4, waiting=0)
    texts = indexed(writer)
    live = [d.doc_id for d in writer.index.live_documents]
    tin_ids = sorted(d for d in live if d.startswith("tin/"))
    assert tin_ids == sorted(["tin/Mun", "tin/Mướp", "tin/Mới", "tin/Vàng"])
    assert len(live) == len(set(live)) == 4 + 4
    for name in ("Mướp", "Vàng", "Mới"):
        assert "rau" in texts[f"tin/{name}"] and "cá" not in texts[f"tin/{name}"]
    assert "cá" in texts["tin/Mun"]


def test_a_full_comparison_in_a_forked_child_applies_what_changed(writer: IndexWriter) -> None:
    tin = writer.corpus / "tin"
    assert writer.update(forked=True) == Changes(0, 0, 0)
    (tin / "Mướp.txt").write_text(article("Mướp", "thịt"), encoding="utf-8")
    (tin / "Vàng.txt").unlink()
    (tin / "Mới.txt").write_text(article("Mới", "tôm"), encoding="utf-8")
    assert writer.update(forked=True) == Changes(added=2, removed=2, waiting=0)
    texts = indexed(writer)
    assert "thịt" in texts["tin/Mướp"] and "tôm" in texts["tin/Mới"] and "tin/Vàng" not in texts
    assert writer.index.fingerprint == corpus_fingerprint(corpus_files(writer.corpus))
    (tin / "Vàng.txt").write_text(article("Vàng", "cá"), encoding="utf-8")
    writer.settle = 3600.0
    assert writer.update(forked=True) == Changes(0, 0, 1)
    writer.corpus.rename(writer.corpus.with_name("moved"))
    with pytest.raises(CorpusError):
        writer.update(forked=True)
