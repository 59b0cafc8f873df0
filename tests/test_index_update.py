"""Parallel and incremental builds give exactly the index a one-process full build gives."""

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from retrieval.documents import corpus_files
from retrieval.index import Index, corpus_fingerprint, load_index, open_index, update_index
from retrieval.index import reading as reading_module
from retrieval.index.merging import merge_segments
from retrieval.index.model import ARRAYS
from retrieval.tokenizer import index_terms

HEADLINE = "Giá xăng giảm mạnh từ chiều nay."
FILES = {
    f"{name}.txt": f"{HEADLINE}\n\n{body}\n"
    for name, body in {
        "a/xang": "Xăng RON 95 giảm 800 đồng mỗi lít. Dầu diesel giảm 500 đồng mỗi lít.",
        "a/mua": "Hà Nội có mưa rào và dông vào chiều tối. Nhiệt độ cao nhất 32 độ C.",
        "b/sach": "Hội sách mở cửa tại phố sách Đinh Lễ. Nhiều nhà xuất bản giảm giá sách.",
        "b/tau": "Ngành đường sắt tăng thêm chuyến tàu dịp lễ. Vé tàu được bán trực tuyến.",
        "c/bong-da": "Đội tuyển Việt Nam thắng Thái Lan 2-1 tại sân Mỹ Đình.",
        "c/rong": "",
    }.items()
}


def write(corpus: Path, name: str, text: str) -> None:
    (corpus / name).parent.mkdir(parents=True, exist_ok=True)
    (corpus / name).write_text(text, encoding="utf-8")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    for name, text in FILES.items():
        write(folder, name, text)
    return folder


def full_build(corpus: Path, workers: int = 1) -> Index:
    files = corpus_files(corpus)
    return update_index(corpus, files, corpus_fingerprint(files), workers=workers)


def assert_same_index(got: Index, expected: Index) -> None:
    assert list(got.documents) == list(expected.documents)
    assert got.vocab == expected.vocab
    assert list(got.document_stamps) == list(expected.document_stamps)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)
    for name, values in expected.bm25.arrays().items():
        np.testing.assert_array_equal(got.bm25.arrays()[name], values, err_msg=name)
        assert got.bm25.arrays()[name].dtype == values.dtype, name


class CountingTerms:
    """index_terms that appends each text it segments to a file, so calls made in forked
    workers are counted too."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def __call__(self, text: str) -> list[str]:
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(text.replace("\n", " ") + "\n")
        return index_terms(text)

    def texts(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []


@pytest.fixture
def counting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CountingTerms:
    terms = CountingTerms(tmp_path / "segmented.log")
    monkeypatch.setattr(reading_module, "index_terms", terms)
    return terms


@pytest.fixture
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # So that a handful of documents already makes several jobs and starts the pool.
    monkeypatch.setattr(reading_module, "READ_CHUNK", 1)
    monkeypatch.setattr(reading_module, "SEGMENT_CHUNK", 2)


@pytest.mark.usefixtures("tiny_chunks")
def test_two_workers_build_the_same_index_segmenting_each_text_once(
    corpus: Path, counting: CountingTerms
) -> None:
    one = full_build(corpus, workers=1)
    counting.log.unlink()
    two = full_build(corpus, workers=2)
    assert_same_index(two, one)
    segmented = counting.texts()
    assert sorted(segmented) == sorted(set(segmented))
    assert segmented.count(HEADLINE) == 1
    assert len(segmented) == len({one.sentence_text(i) for i in range(one.n_sentences)})


def added(corpus: Path) -> None:
    write(corpus, "b/moi.txt", "Tin mới\n\nCầu Long Biên được sửa chữa trong ba tháng.\n")


def changed(corpus: Path) -> None:
    write(corpus, "a/mua.txt", "Thời tiết\n\nTrời nắng nóng, nhiệt độ 38 độ C.\n")


def removed(corpus: Path) -> None:
    (corpus / "b/sach.txt").unlink()


def unreadable(corpus: Path) -> None:
    (corpus / "b/tau.txt").write_bytes(b"\xff\xfe not utf-8")


@pytest.mark.usefixtures("tiny_chunks")
@pytest.mark.parametrize("edit", [added, changed, removed, unreadable])
@pytest.mark.parametrize("workers", [1, 2])
def test_update_equals_full_rebuild_and_reads_only_changed_files(
    corpus: Path,
    tmp_path: Path,
    counting: CountingTerms,
    edit: Callable[[Path], None],
    workers: int,
) -> None:
    path = tmp_path / "index"
    open_index(corpus, path, notice=lambda _: None)
    before = {load_index(path).sentence_text(i) for i in range(load_index(path).n_sentences)}
    edit(corpus)
    counting.log.unlink()
    notices: list[str] = []
    updated = open_index(corpus, path, notice=notices.append, workers=workers)
    assert notices[0].startswith("corpus changed: ")
    assert (
        set(counting.texts())
        <= {updated.sentence_text(i) for i in range(updated.n_sentences)} - before
    )
    # Segments merged are what a build of the same files in the same order gives.
    merged, _ = merge_segments(updated, list(range(len(updated.segments))), workers=1)
    files = [document.path for document in merged.documents]
    assert set(files) == {document.path for document in full_build(corpus).documents}
    assert_same_index(merged, update_index(corpus, files, "", workers=1))


def test_documents_without_stamps_are_read_again(corpus: Path, counting: CountingTerms) -> None:
    files = corpus_files(corpus)
    previous = full_build(corpus)
    previous.document_stamps = [None] * len(previous.documents)
    counting.log.unlink()
    again = update_index(corpus, files, corpus_fingerprint(files), previous)
    assert HEADLINE in counting.texts()
    assert list(again.documents) == list(previous.documents)


def test_other_pipeline_or_passages_rebuild_everything(
    corpus: Path, counting: CountingTerms
) -> None:
    files = corpus_files(corpus)
    previous = full_build(corpus)
    previous.pipeline_version -= 1
    counting.log.unlink()
    update_index(corpus, files, corpus_fingerprint(files), previous)
    assert HEADLINE in counting.texts()
    counting.log.unlink()
    previous.pipeline_version += 1
    one = update_index(corpus, files, corpus_fingerprint(files), previous, passage_sentences=1)
    assert HEADLINE in counting.texts()
    assert one.n_passages == one.n_sentences


def test_touched_file_is_read_again(corpus: Path, counting: CountingTerms) -> None:
    files = corpus_files(corpus)
    previous = full_build(corpus)
    counting.log.unlink()
    stat = (corpus / "c/bong-da.txt").stat()
    os.utime(corpus / "c/bong-da.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1000))
    update_index(corpus, files, corpus_fingerprint(files), previous)
    assert counting.texts() == [
        HEADLINE,
        "Đội tuyển Việt Nam thắng Thái Lan 2-1 tại sân Mỹ Đình.",
    ]
