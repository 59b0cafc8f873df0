"""Saving and loading the index, a crash during a save, corrupt indexes, and `open_index`
building, reusing and rebuilding it as the corpus changes (the index folder under harsher
conditions: tests/test_index_storage.py)."""

import json
import mmap
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from small_corpus import DOCS, Notices, all_sentences, other_folder, parsed_documents, write_corpus

from retrieval.index import (
    FORMAT_VERSION,
    Index,
    IndexMissing,
    IndexUnreadable,
    build_index,
    cache_root,
    corpus_fingerprint,
    default_index_path,
    load_index,
    open_index,
    save_index,
)
from retrieval.tokenizer import index_terms


def test_save_load_round_trip(built: Index, tmp_path: Path) -> None:
    path = tmp_path / "index"
    save_index(built, path)
    loaded = load_index(path)
    assert list(loaded.documents) == built.documents
    assert loaded.vocab == built.vocab
    assert loaded.fingerprint == "fp"
    assert loaded.passage_sentences == 3
    assert all_sentences(loaded) == all_sentences(built)
    for name in ("sentence_doc", "sentence_start", "sentence_end", "passage_sentence_ptr"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(built, name))
    for i in range(built.n_sentences):
        np.testing.assert_array_equal(loaded.sentence_terms(i), built.sentence_terms(i))
    query = [built.vocab[t] for t in index_terms("giá xăng RON 95") if t in built.vocab]
    assert len(query) >= 2
    np.testing.assert_array_equal(loaded.bm25.scores(query), built.bm25.scores(query))
    assert loaded.bm25.top_k(query, 2)[0].tolist() == built.bm25.top_k(query, 2)[0].tolist()
    assert _memory_mapped(loaded.sentence_term_ids)
    assert _memory_mapped(loaded.bm25.post_docs)
    assert not loaded.sentence_term_ids.flags.writeable


def _memory_mapped(values: np.ndarray) -> bool:
    # Loading must not read the arrays into memory: they are views of a file mapping.
    base = values.base
    while isinstance(base, np.ndarray):
        base = base.base
    return isinstance(base, memoryview) and isinstance(base.obj, mmap.mmap)


def test_save_replaces_and_cleans_up(built: Index, tmp_path: Path) -> None:
    path = tmp_path / "index"
    save_index(built, path)
    (path / "gen-0123456789abcdef").mkdir()
    (path / "CURRENT.gen-0123456789abcdef.tmp").write_text("gen-0123456789abcdef")
    other = build_index(parsed_documents(other_folder(tmp_path), {"mua": DOCS["mua"]}), "fp2")
    save_index(other, path)
    assert load_index(path).fingerprint == "fp2"
    generations = [p.name for p in path.iterdir() if p.name.startswith("gen-")]
    assert generations == [generation(path).name]
    assert not list(path.glob("*.tmp"))


def test_crash_during_save_keeps_previous_index(
    built: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "index"
    save_index(built, path)
    real_save = np.save
    written = 0

    def failing_save(file: object, values: np.ndarray) -> None:
        nonlocal written
        written += 1
        if written == 4:
            raise OSError("disk full")
        real_save(file, values)

    monkeypatch.setattr(np, "save", failing_save)
    other = build_index(parsed_documents(other_folder(tmp_path), {"mua": DOCS["mua"]}), "fp2")
    with pytest.raises(OSError, match="disk full"):
        save_index(other, path)
    loaded = load_index(path)
    assert loaded.fingerprint == "fp"
    assert all_sentences(loaded) == all_sentences(built)
    assert len([p for p in path.iterdir() if p.name.startswith("gen-")]) == 1


def generation(path: Path) -> Path:
    """The generation folder of a saved index, or of the first segment of a live one."""
    if (path / "LIVE").exists():
        manifest = json.loads((path / (path / "LIVE").read_text()).read_text())
        path = path / manifest["segments"][0][0]
    return path / (path / "CURRENT").read_text().split()[0]


def truncate_array(path: Path) -> None:
    array_file = generation(path) / "bm25_post_docs.npy"
    array_file.write_bytes(array_file.read_bytes()[:-4])


def garble_json(path: Path) -> None:
    (generation(path) / "index.json").write_text("{not json", encoding="utf-8")


def wrong_version(path: Path) -> None:
    meta_file = generation(path) / "index.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    meta["format_version"] = FORMAT_VERSION + 1
    meta_file.write_text(json.dumps(meta), encoding="utf-8")


def drop_array(path: Path) -> None:
    (generation(path) / "sentence_doc.npy").unlink()


def inconsistent_lengths(path: Path) -> None:
    np.save(generation(path) / "sentence_end.npy", np.zeros(2, dtype=np.int64))


def lose_documents(path: Path) -> None:
    """Keep only the first document's record while the sentences still name all four."""
    folder = generation(path)
    ptr = np.load(folder / "document_record_ptr.npy")
    np.save(folder / "document_record_ptr.npy", ptr[:2])
    blob = np.load(folder / "document_record_blob.npy")
    np.save(folder / "document_record_blob.npy", blob[: ptr[1]])


CORRUPTIONS = [
    truncate_array,
    garble_json,
    wrong_version,
    drop_array,
    inconsistent_lengths,
    lose_documents,
]


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_corrupt_index_is_unreadable(
    built: Index, tmp_path: Path, corrupt: Callable[[Path], None]
) -> None:
    path = tmp_path / "index"
    save_index(built, path)
    corrupt(path)
    with pytest.raises(IndexUnreadable):
        load_index(path)


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing):
        load_index(tmp_path / "nothing")


def test_fingerprint_follows_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("một", encoding="utf-8")
    b.write_text("hai", encoding="utf-8")
    both = corpus_fingerprint([a, b])
    assert corpus_fingerprint([a, b]) == both
    assert corpus_fingerprint([a]) != both
    stat = a.stat()
    os.utime(a, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert corpus_fingerprint([a, b]) != both


def test_default_index_path_uses_xdg_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert cache_root() == tmp_path / "cache" / "hoidap"
    path = default_index_path(tmp_path / "corpus")
    assert path.parent == cache_root()
    assert path.name.startswith("index-")
    assert default_index_path(tmp_path / "other") != path
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_index_path(tmp_path / "corpus").parent == Path.home() / ".cache" / "hoidap"


NEW_FILE = (
    "bong-da.txt",
    "Tuyển Việt Nam thắng\n\nĐội tuyển Việt Nam thắng Thái Lan 2-1 tại sân Mỹ Đình.\n",
)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path)


def best_doc(index: Index, question: str) -> str | None:
    ids = [index.vocab[t] for t in index_terms(question) if t in index.vocab]
    passages, _ = index.bm25.top_k(ids, 1)
    if not len(passages):
        return None
    return index.documents[index.passage_doc(int(passages[0]))].path.name


def test_open_index_builds_once_then_reuses(corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "index"
    notices = Notices()
    index = open_index(corpus, path, notice=notices)
    assert notices.problems() == []
    assert any(m.startswith("indexed 4 documents") for m in notices)
    assert best_doc(index, "giá xăng RON 95") == "xang.txt"
    current = (path / "LIVE").read_text()

    notices.clear()
    again = open_index(corpus, path, notice=notices)
    assert notices == []
    assert (path / "LIVE").read_text() == current
    assert all_sentences(again) == all_sentences(index)


def test_open_index_uses_default_path(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    open_index(corpus, notice=Notices())
    assert load_index(default_index_path(corpus)).n_sentences > 0


def add_file(corpus: Path) -> None:
    (corpus / NEW_FILE[0]).write_text(NEW_FILE[1], encoding="utf-8")


def change_file(corpus: Path) -> None:
    (corpus / "mua.txt").write_text(NEW_FILE[1], encoding="utf-8")


def remove_file(corpus: Path) -> None:
    (corpus / "mua.txt").unlink()


@pytest.mark.parametrize(
    ("edit", "weather_doc", "football_doc"),
    [
        (add_file, "mua.txt", "bong-da.txt"),
        (change_file, None, "mua.txt"),
        (remove_file, None, None),
    ],
)
def test_open_index_rebuilds_when_corpus_changes(
    corpus: Path,
    tmp_path: Path,
    edit: Callable[[Path], None],
    weather_doc: str | None,
    football_doc: str | None,
) -> None:
    path = tmp_path / "index"
    open_index(corpus, path, notice=Notices())
    edit(corpus)
    notices = Notices()
    index = open_index(corpus, path, notice=notices)
    [problem] = notices.problems()
    assert problem.startswith("corpus changed: ") and problem.endswith(", index updated")
    # Not "mưa rào và dông": folded, "dông" is also "đồng" of the fuel prices.
    assert best_doc(index, "nhiệt độ cao nhất") == weather_doc
    assert best_doc(index, "Việt Nam thắng Thái Lan") == football_doc
    assert best_doc(index, "giá xăng RON 95") == "xang.txt"
    assert open_index(corpus, path, notice=Notices()).fingerprint == index.fingerprint


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_open_index_rebuilds_corrupt_index(
    corpus: Path, tmp_path: Path, corrupt: Callable[[Path], None]
) -> None:
    path = tmp_path / "index"
    open_index(corpus, path, notice=Notices())
    corrupt(path)
    notices = Notices()
    index = open_index(corpus, path, notice=notices)
    problems = notices.problems()
    assert len(problems) == 1
    assert problems[0].startswith(f"index at {path} is unreadable (")
    assert problems[0].endswith("), rebuilding")
    assert "\n" not in problems[0]
    assert best_doc(index, "giá xăng RON 95") == "xang.txt"
    assert best_doc(index, "mưa rào và dông") == "mua.txt"
    assert load_index(path).n_sentences == index.n_sentences
