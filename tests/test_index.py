import json
import mmap
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi
from small_corpus import Notices, write_corpus

from retrieval.documents import Document, ParsedDocument, Sentence
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
from retrieval.index import build as build_module
from retrieval.index import reading as reading_module
from retrieval.index.records import Records, document_of, document_records
from retrieval.tokenizer import index_terms

HEADLINE = "Giá xăng giảm mạnh từ chiều nay."
DOCS = {
    "xang": [
        HEADLINE,
        "Liên Bộ Công Thương - Tài chính điều chỉnh giá bán lẻ xăng dầu.",
        "Xăng RON 95 giảm 800 đồng mỗi lít.",
        "Dầu diesel giảm 500 đồng mỗi lít.",
        "Giá mới áp dụng từ 15 giờ.",
        "Quỹ bình ổn giá không được trích lập.",
        HEADLINE,
    ],
    "bong-da": [
        "Đội tuyển Việt Nam thắng Thái Lan 2-1 tại sân Mỹ Đình.",
        HEADLINE,
    ],
    "rong": [],
    "mua": [
        "Hà Nội có mưa rào và dông vào chiều tối.",
        "Nhiệt độ cao nhất từ 30 đến 32 độ C.",
        "Gió đông nam cấp 2 đến cấp 3.",
    ],
}


def parsed_documents(folder: Path, docs: dict[str, list[str]] = DOCS) -> list[ParsedDocument]:
    parsed = []
    for name, sentences in docs.items():
        path = folder / f"{name}.txt"
        text = "\n".join(sentences)
        path.write_text(text, encoding="utf-8")
        spans, offset = [], 0
        for sentence in sentences:
            spans.append(Sentence(offset, offset + len(sentence), sentence))
            offset += len(sentence) + 1
        title = sentences[0] if sentences else name
        parsed.append(ParsedDocument(Document(name, title, "2025-01-02", path), spans))
    return parsed


@pytest.fixture
def built(tmp_path: Path) -> Index:
    return build_index(parsed_documents(tmp_path), "fp")


def other_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "other"
    folder.mkdir()
    return folder


def all_sentences(index: Index) -> list[str]:
    return [index.sentence_text(i) for i in range(index.n_sentences)]


def test_sentences_in_corpus_order(built: Index) -> None:
    expected = [s for sentences in DOCS.values() for s in sentences]
    assert all_sentences(built) == expected
    assert built.sentence_doc.tolist() == [0] * 7 + [1] * 2 + [3] * 3
    assert built.sentence_start[1] == len(HEADLINE) + 1
    assert built.sentence_end[1] == len(HEADLINE) + 1 + len(DOCS["xang"][1])
    for i, text in enumerate(expected):
        terms = [built.vocab[t] for t in index_terms(text)]
        assert built.sentence_terms(i).tolist() == terms


def test_passages_are_windows_restarting_at_each_document(built: Index) -> None:
    assert built.passage_sentence_ptr.tolist() == [0, 3, 6, 7, 9, 12]
    assert built.n_passages == 5
    assert [built.passage_doc(p) for p in range(5)] == [0, 0, 0, 1, 3]
    one = build_index(parsed_documents(built.documents[0].path.parent), "fp", passage_sentences=1)
    assert one.passage_sentence_ptr.tolist() == list(range(13))


def test_bm25_over_passages_matches_rank_bm25(built: Index) -> None:
    ptr = built.passage_sentence_ptr
    corpus = [
        [t for i in range(ptr[p], ptr[p + 1]) for t in index_terms(built.sentence_text(i))]
        for p in range(built.n_passages)
    ]
    reference = BM25Okapi(corpus)
    for question in ("giá xăng RON 95", "mưa ở Hà Nội", "Việt Nam thắng Thái Lan"):
        query = index_terms(question)
        ids = [built.vocab.get(t, -1) for t in query]
        np.testing.assert_allclose(built.bm25.scores(ids), reference.get_scores(query), atol=1e-9)


@pytest.mark.parametrize("block", [1, 2, 1 << 22])
def test_document_idf_counts_documents_not_passages(
    built: Index, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    # Small blocks put document changes and term starts on block edges.
    monkeypatch.setattr(build_module, "_POSTINGS_BLOCK", block)
    index = build_index(parsed_documents(built.documents[0].path.parent), "fp")
    holding: dict[str, set[int]] = {}
    for i in range(index.n_sentences):
        for term in index_terms(index.sentence_text(i)):
            holding.setdefault(term, set()).add(int(index.sentence_doc[i]))
    n = len(index.documents)
    for term, docs in holding.items():
        expected = np.log1p((n - len(docs) + 0.5) / (len(docs) + 0.5))
        assert index.document_idf[index.vocab[term]] == pytest.approx(expected)
    # The headline is in three passages of two documents.
    assert holding["~xang"] == {0, 1}


def test_each_distinct_sentence_is_segmented_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def counting_index_terms(text: str) -> list[str]:
        calls.append(text)
        return index_terms(text)

    monkeypatch.setattr(reading_module, "index_terms", counting_index_terms)
    index = build_index(parsed_documents(tmp_path), "fp")
    distinct = {s for sentences in DOCS.values() for s in sentences}
    assert sorted(calls) == sorted(distinct)
    first, again = 0, 6  # HEADLINE opens and closes the first document
    assert index.sentence_terms(again).tolist() == index.sentence_terms(first).tolist()


def test_progress_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading_module, "PROGRESS_MIN_STEP", 5)
    messages: list[str] = []
    build_index(parsed_documents(tmp_path), "fp", progress=messages.append)
    assert messages[0] == "indexing: 5/10 distinct sentences segmented"
    assert messages[-1].startswith("indexed 4 documents: 12 sentences")


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


def test_garbled_document_record_is_reported_when_read(built: Index) -> None:
    ptr, blob = document_records(built)
    blob = blob.copy()
    blob[0] = ord("{")
    documents = Records(ptr, blob, document_of)
    assert documents[1] == built.documents[1]
    with pytest.raises(IndexUnreadable, match="document record 0 is damaged"):
        documents[0]


def test_stored_documents_index_like_a_list(built: Index, tmp_path: Path) -> None:
    path = tmp_path / "index"
    save_index(built, path)
    loaded = load_index(path)
    assert len(loaded.documents) == len(built.documents) == 4
    assert loaded.documents[-1] == built.documents[-1]
    assert loaded.documents[1:3] == built.documents[1:3]
    assert list(loaded.document_stamps) == built.document_stamps
    with pytest.raises(IndexError):
        loaded.documents[4]


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
