import logging
from pathlib import Path

import pytest

from retrieval.documents import (
    CorpusError,
    ParsedDocument,
    corpus_files,
    load_corpus,
    read_document,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def seeds() -> dict[str, ParsedDocument]:
    return {parsed.document.doc_id[:3]: parsed for parsed in load_corpus(SEEDS)}


def texts(parsed: ParsedDocument) -> list[str]:
    return [sentence.text for sentence in parsed.sentences]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def test_all_seeds_load(seeds: dict[str, ParsedDocument]) -> None:
    assert sorted(seeds) == ["000", "001", "002", "003", "004"]
    for parsed in seeds.values():
        assert parsed.sentences
        assert parsed.document.path.is_absolute()
        assert parsed.document.doc_id == parsed.document.path.stem


@pytest.mark.parametrize(
    ("seed", "title", "date"),
    [
        ("000", "Bộ Ngoại giao họp triển khai công tác phục vụ Đại hội XIV của Đảng", "2026-01-01"),
        (
            "001",
            "Đoàn Tiểu ban Văn kiện Đại hội XIV của Đảng làm việc với Ban cán sự đảng"
            " Bộ Ngoại giao",
            None,
        ),
        ("002", "Hội nghị trực tuyến về công tác thông tin đối ngoại", None),
        (
            "004",
            "Hội nghị đối ngoại toàn quốc triển khai Nghị quyết Đại hội XIII của Đảng",
            "2021-12-14",
        ),
    ],
)
def test_seed_titles_and_dates(
    seeds: dict[str, ParsedDocument], seed: str, title: str, date: str | None
) -> None:
    assert seeds[seed].document.title == title
    assert seeds[seed].document.date == date


def test_long_first_line_title_is_cut_at_a_word(seeds: dict[str, ParsedDocument]) -> None:
    title = seeds["003"].document.title
    assert title.endswith("…")
    assert len(title) <= 151
    assert title.startswith("Sau khi nghe Thứ trưởng Bộ Ngoại giao Lê Thị Thu Hằng")


def test_seed_offsets_point_into_the_file(seeds: dict[str, ParsedDocument]) -> None:
    for parsed in seeds.values():
        text = parsed.document.path.read_bytes().decode("utf-8")
        previous_end = 0
        for sentence in parsed.sentences:
            assert text[sentence.start : sentence.end] == sentence.text
            assert sentence.text == sentence.text.strip()
            assert sentence.start >= previous_end
            previous_end = sentence.end


def test_seed_000_sentences(seeds: dict[str, ParsedDocument]) -> None:
    sentences = texts(seeds["000"])
    assert (
        "Ông Lê Hoài Trung, Bí thư Trung ương Đảng, Bộ trưởng Ngoại giao chủ trì cuộc họp."
        in sentences
    )
    meeting = [s for s in sentences if s.startswith("Ngày 31/12, tại trụ sở Bộ Ngoại giao")]
    assert meeting == [
        "Ngày 31/12, tại trụ sở Bộ Ngoại giao, Bí thư Trung ương Đảng, Bộ trưởng Ngoại giao"
        " Lê Hoài Trung chủ trì cuộc họp về triển khai công tác phục vụ Đại hội Đảng toàn quốc"
        " lần thứ XIV."
    ]
    assert sentences[0] == "Bộ Ngoại giao họp triển khai công tác phục vụ Đại hội XIV của Đảng"
    assert not any("date" in s for s in sentences)


def test_seed_002_keeps_decimal_comma(seeds: dict[str, ParsedDocument]) -> None:
    assert any(s.endswith("khoảng 286,3 triệu USD.") for s in texts(seeds["002"]))


def test_seed_004_keeps_city_abbreviation(seeds: dict[str, ParsedDocument]) -> None:
    assert any("TP. Hồ Chí Minh và Thành ủy Đà Nẵng" in s for s in texts(seeds["004"]))


def test_seed_boilerplate_and_date_lines_are_not_sentences(
    seeds: dict[str, ParsedDocument],
) -> None:
    everything = [s for parsed in seeds.values() for s in texts(parsed)]
    for chrome in ["Sign In", "Click để copy", "user image", "IMG-1362.JPG", "14/12/2021"]:
        assert not any(chrome in s for s in everything)
    assert "TTXVN" in everything
    assert "Các đồng chí lãnh đạo Đảng, Nhà nước tham dự Hội nghị" in everything


def test_unreadable_files_are_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path / "good.txt", "Tin tốt\nHà Nội nắng đẹp.")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Tin cũ\nCafé ở phố cổ".encode("cp1258", errors="replace"))
    binary = tmp_path / "image.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with caplog.at_level(logging.WARNING, logger="retrieval.documents"):
        corpus = load_corpus(tmp_path)
    assert [parsed.document.doc_id for parsed in corpus] == ["good"]
    messages = [record.getMessage() for record in caplog.records]
    assert any(str(latin1) in m and "UTF-8" in m for m in messages)
    assert any(str(binary) in m and "NUL" in m for m in messages)


def test_read_document_returns_none_for_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"Xin ch\xe0o")
    assert read_document(path, tmp_path) is None


def test_corpus_with_only_unreadable_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00\x00")
    with pytest.raises(CorpusError, match="no readable documents in"):
        load_corpus(tmp_path)


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "khong-co"
    with pytest.raises(CorpusError) as info:
        load_corpus(missing)
    assert str(info.value) == f"corpus folder not found: {missing}"
    assert "\n" not in str(info.value)


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "notes.xlsx", "không phải tài liệu")
    write(tmp_path / ".hidden.txt", "ẩn")
    with pytest.raises(CorpusError) as info:
        load_corpus(tmp_path)
    assert str(info.value).startswith("no documents (.doc, .docx, .htm, .html, .md, .pdf")
    assert str(info.value).endswith(f") in {tmp_path}")


def test_file_instead_of_folder_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "Tin")
    with pytest.raises(CorpusError, match="not a folder"):
        corpus_files(path)


def test_corpus_files_are_sorted_recursive_and_skip_hidden(tmp_path: Path) -> None:
    for name in ["b.txt", "a.MD", "sub/c.Txt", ".git/d.txt", "sub/.e.md", "f.xlsx", "sub/g.md"]:
        write(tmp_path / name, "Tin")
    found = [path.relative_to(tmp_path).as_posix() for path in corpus_files(tmp_path)]
    assert found == ["a.MD", "b.txt", "sub/c.Txt", "sub/g.md"]


def test_corpus_files_of_a_relative_folder_are_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "tin" / "a.txt", "Tin")
    monkeypatch.chdir(tmp_path)
    assert corpus_files(Path("tin")) == [tmp_path / "tin" / "a.txt"]


def test_nested_doc_id_uses_posix_path_without_suffix(tmp_path: Path) -> None:
    write(tmp_path / "the-gioi" / "chau-a" / "bai.viet.md", "Tiêu đề\nNội dung bài.")
    [parsed] = load_corpus(tmp_path)
    assert parsed.document.doc_id == "the-gioi/chau-a/bai.viet"
    assert parsed.document.path == (tmp_path / "the-gioi" / "chau-a" / "bai.viet.md").absolute()


def test_crlf_offsets_hold(tmp_path: Path) -> None:
    text = "\ufeffTiêu đề bài\r\n\r\n14/12/2021\r\nĐoạn một. Đoạn hai.\r\nHết\r\n"
    path = write(tmp_path / "crlf.txt", text)
    parsed = read_document(path, tmp_path)
    assert parsed is not None
    assert texts(parsed) == ["Tiêu đề bài", "Đoạn một.", "Đoạn hai.", "Hết"]
    decoded = path.read_bytes().decode("utf-8")
    for sentence in parsed.sentences:
        assert decoded[sentence.start : sentence.end] == sentence.text
    assert parsed.document.title == "Tiêu đề bài"
    assert parsed.document.date == "2021-12-14"


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("14/12/2021", "2021-12-14"),
        ("14-12-2021", "2021-12-14"),
        ("2021-12-14", "2021-12-14"),
        ("Thứ Ba, 14/12/2021 10:30", "2021-12-14"),
        ("Chủ nhật, 5/1/2025 - 08:15 (GMT+7)", "2025-01-05"),
        ("31/02/2021", None),
        ("Chiều 11/10", None),
    ],
)
def test_date_line_near_the_top(tmp_path: Path, line: str, date: str | None) -> None:
    path = write(tmp_path / "a.txt", f"Tiêu đề\n{line}\nNội dung bài.")
    parsed = read_document(path, tmp_path)
    assert parsed is not None
    assert parsed.document.date == date
    assert (line in texts(parsed)) is (date is None)


def test_date_line_far_down_is_not_the_page_date(tmp_path: Path) -> None:
    body = "\n".join(f"Đoạn {i}." for i in range(12))
    path = write(tmp_path / "a.txt", f"Tiêu đề\n{body}\n14/12/2021\n")
    parsed = read_document(path, tmp_path)
    assert parsed is not None
    assert parsed.document.date is None
    assert "14/12/2021" not in texts(parsed)


def test_date_marker_alone_and_first_date_wins(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", " date 2026-01-01 \n20/11/2025\nTiêu đề\nNội dung.")
    parsed = read_document(path, tmp_path)
    assert parsed is not None
    assert parsed.document.date == "2026-01-01"
    assert parsed.document.title == "Tiêu đề"
    assert texts(parsed) == ["Tiêu đề", "Nội dung."]


def test_document_without_sentences_is_titled_by_its_id(tmp_path: Path) -> None:
    path = write(tmp_path / "trong.txt", "Sign In\n\n•\n")
    parsed = read_document(path, tmp_path)
    assert parsed is not None
    assert parsed.sentences == []
    assert parsed.document.title == "trong"
    assert parsed.document.date is None


def test_title_is_cut_at_a_word_boundary(tmp_path: Path) -> None:
    first = " ".join(["Hội nghị"] * 40)
    path = write(tmp_path / "a.txt", first)
    parsed = read_document(path, tmp_path)
    assert parsed is not None
    title = parsed.document.title
    assert title.endswith("…")
    assert len(title) <= 151
    assert first.startswith(title[:-1])
    assert title[:-1].endswith(("Hội", "nghị"))
