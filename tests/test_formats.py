"""Each format read from a real file through its real parser."""

import codecs
import unicodedata
from pathlib import Path

import pytest
from format_files import (
    DOCX_TCVN3,
    PDF_FOOTNOTE,
    PDF_HEADER,
    PDF_LAST,
    RTF_VNI,
    write_docx,
    write_html,
    write_pages_pdf,
    write_pdf,
    write_rtf,
    write_two_column_pdf,
)

from retrieval.documents import read_document
from retrieval.formats import Unreadable, extract
from retrieval.formats.legacy import to_tcvn3, to_vni
from retrieval.formats.plain import strip_markdown


@pytest.fixture(scope="module")
def pdf_text(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, tuple[int, ...]]:
    path = write_pdf(tmp_path_factory.mktemp("pdf") / "bao-cao.pdf")
    found = extract(path)
    return path, found.text, found.pages


def test_pdf_drops_running_headers_and_page_numbers(pdf_text) -> None:  # type: ignore[no-untyped-def]
    _, text, pages = pdf_text
    assert len(pages) == 3
    assert PDF_HEADER not in text and "BỘ NGOẠI GIAO" not in text
    assert "Trang" not in text
    assert text.startswith("Bộ Ngoại giao tổ chức họp báo thường kỳ")


def test_pdf_joins_lines_pages_and_hyphenation(pdf_text) -> None:  # type: ignore[no-untyped-def]
    _, text, pages = pdf_text
    lines = text.split("\n")
    # The long paragraph runs over the first page break and stays one line.
    assert lines[0].endswith("Việc kết nối internet giữa hai nước được đẩy mạnh.")
    assert 0 < pages[1] < len(lines[0])
    assert text[pages[1] - 1] == " "  # page 2 starts inside the paragraph
    assert (
        lines[0].count("Người phát ngôn trả lời câu hỏi của phóng viên về hợp tác quốc tế.") == 80
    )


def test_pdf_footnote_follows_its_paragraph(pdf_text) -> None:  # type: ignore[no-untyped-def]
    _, text, pages = pdf_text
    lines = text.split("\n")
    assert lines[1] == PDF_FOOTNOTE
    assert PDF_FOOTNOTE not in lines[0]
    assert lines[2] == PDF_LAST
    assert text.index(PDF_LAST) == pages[2]


def test_pdf_sentences_know_their_page(pdf_text) -> None:  # type: ignore[no-untyped-def]
    path, text, _ = pdf_text
    parsed = read_document(path, path.parent)
    assert parsed is not None and parsed.text == text
    document = parsed.document
    assert document.format == "pdf"
    by_text = {s.text: s for s in parsed.sentences}
    assert document.page_of(by_text[PDF_LAST].start) == 3
    assert document.page_of(parsed.sentences[0].start) == 1
    last_of_paragraph = by_text["Việc kết nối internet giữa hai nước được đẩy mạnh."]
    assert document.page_of(last_of_paragraph.start) == 2
    for sentence in parsed.sentences:
        assert text[sentence.start : sentence.end] == sentence.text


def test_pdf_columns_are_read_one_after_the_other(tmp_path: Path) -> None:
    left = "Cột trái nói về kinh tế và thương mại. " * 10
    right = "Cột phải nói về văn hóa và du lịch. " * 10
    found = extract(write_two_column_pdf(tmp_path / "hai-cot.pdf", left, right))
    assert found.text.split("\n") == [left.strip(), right.strip()]


@pytest.mark.parametrize("encode", [to_vni, to_tcvn3], ids=["VNI", "TCVN3"])
def test_pdf_text_layer_in_a_legacy_encoding(tmp_path: Path, encode) -> None:  # type: ignore[no-untyped-def]
    pages = [
        "Bộ Ngoại giao tổ chức họp báo thường kỳ chiều thứ Năm tại Hà Nội.",
        "Người phát ngôn trả lời câu hỏi về hợp tác kinh tế với các nước láng giềng.",
    ]
    found = extract(write_pages_pdf(tmp_path / "cu.pdf", [encode(p) for p in pages]))
    assert found.text.split("\n") == pages
    # VNI letters are two characters: page starts move with the conversion.
    assert found.pages == (0, len(pages[0]) + 1)


def test_docx_keeps_document_order_tables_and_header(tmp_path: Path) -> None:
    found = extract(write_docx(tmp_path / "cong-van.docx"))
    assert found.format == "docx"
    assert found.text.split("\n") == [
        "Văn phòng Bộ Ngoại giao",
        "BỘ NGOẠI GIAO",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Số: 125/BC-BNG",
        "Hà Nội, ngày 5 tháng 3 năm 2024",
        "Báo cáo kết quả công tác đối ngoại quý I",
        # The PAGE field's "7" is not text.
        "Trang của báo cáo nêu tình hình chung.",
        # A .VnTime run that already holds Unicode is left alone…
        "Quý I năm 2024 Việt Nam đón 15 đoàn cấp cao nước ngoài.",
        # …and one that holds TCVN3 is converted.
        DOCX_TCVN3,
        "KT. BỘ TRƯỞNG",
        "Nguyễn Minh Vũ",
    ]
    assert found.encoding == "TCVN3"


def test_word_97_doc_through_antiword() -> None:
    # tests/data/cong-van.doc is write_docx's letter saved as Word 97 by LibreOffice 7.4
    # (soffice --headless --convert-to doc); nothing in Python writes .doc files.
    found = extract(Path(__file__).parent / "data" / "cong-van.doc")
    assert found.format == "doc"
    lines = found.text.split("\n")
    # Table cells are paragraphs; the TCVN3 paragraph is converted, its ư (0xAD, which
    # antiword drops as a soft hyphen) restored.
    assert lines[:4] == [
        "BỘ NGOẠI GIAO",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Số: 125/BC-BNG",
        "Hà Nội, ngày 5 tháng 3 năm 2024",
    ]
    assert DOCX_TCVN3 in lines
    assert lines[-2:] == ["KT. BỘ TRƯỞNG", "Nguyễn Minh Vũ"]


def test_rtf_unicode_escapes_and_vni_bytes(tmp_path: Path) -> None:
    found = extract(write_rtf(tmp_path / "thong-bao.rtf"))
    assert found.text.split("\n") == [
        "Thông báo về lịch tiếp công dân của Tòa án nhân dân tối cao.",
        "Tòa án tiếp công dân vào thứ Năm hằng tuần tại trụ sở.",
        RTF_VNI,
    ]
    assert found.text == unicodedata.normalize("NFC", found.text)


def test_html_main_text_title_and_date(tmp_path: Path) -> None:
    path = write_html(tmp_path / "hop-bao.html")
    found = extract(path)
    assert found.title == "Họp báo thường kỳ Bộ Ngoại giao"
    assert found.date == "2024-03-12"
    assert "Người phát ngôn Phạm Thu Hằng" in found.text
    for boilerplate in ("Chuyên mục", "Đăng ký nhận bản tin", "Bản quyền"):
        assert boilerplate not in found.text
    parsed = read_document(path, tmp_path)
    assert parsed is not None
    assert parsed.document.title == "Họp báo thường kỳ Bộ Ngoại giao"
    assert parsed.document.date == "2024-03-12"
    assert parsed.document.language == "vi"


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_text_with_a_bom_keeps_offsets_into_the_decoded_file(
    tmp_path: Path, bom: bytes, codec: str
) -> None:
    body = "Họp báo Bộ Y tế\r\nBộ Y tế họp báo chiều nay. Bộ trưởng trả lời.\n"
    path = tmp_path / "tin.txt"
    path.write_bytes(bom + body.encode(codec))
    parsed = read_document(path, tmp_path)
    assert parsed is not None and parsed.text is None  # verbatim: the file is the text
    decoded = path.read_bytes().decode(codec)
    assert decoded[0] == "\ufeff"
    assert [s.text for s in parsed.sentences] == [
        "Họp báo Bộ Y tế",
        "Bộ Y tế họp báo chiều nay.",
        "Bộ trưởng trả lời.",
    ]
    for sentence in parsed.sentences:
        assert decoded[sentence.start : sentence.end] == sentence.text


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ("Tin".encode("utf-16-le"), "UTF-16 without a byte-order mark"),
        (codecs.BOM_UTF32_LE + "Tin".encode("utf-32-le"), "UTF-32"),
        ("Café crème à la française".encode("latin-1"), "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ],
)
def test_other_encodings_are_named(tmp_path: Path, data: bytes, named: str) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(data)
    with pytest.raises(Unreadable, match=named):
        extract(path)


def test_markdown_syntax_is_not_text(tmp_path: Path) -> None:
    source = (
        "# Họp báo **Chính phủ**\n\n"
        "- Bộ trưởng [Nguyễn Văn Nam](https://example.vn/nam) chủ trì *họp báo*.\n"
        "1. Thứ trưởng _Lê Minh_ trả lời ~~ba~~ câu hỏi.\n"
        "> Trích dẫn `mã` và ![ảnh](a.png)\n"
        "---\n"
    )
    stripped = strip_markdown(source)
    assert len(stripped) == len(source)
    for mark in ("#", "*", "[", "](", "https", "_", "~~", "`", ">", "---", "- B", "1."):
        assert mark not in stripped
    path = tmp_path / "bai.md"
    path.write_text(source, encoding="utf-8")
    parsed = read_document(path, tmp_path)
    assert parsed is not None and parsed.document.format == "md"
    assert parsed.document.title == "Họp báo Chính phủ"
    words = [" ".join(s.text.split()) for s in parsed.sentences]
    # Blanked, not removed: a closing mark before a full stop leaves a space.
    assert "Bộ trưởng Nguyễn Văn Nam chủ trì họp báo ." in words
    assert "Thứ trưởng Lê Minh trả lời ba câu hỏi." in words
    # Offsets are the file's: every letter of a sentence stands where it stands in the file.
    for sentence in parsed.sentences:
        in_file = source[sentence.start : sentence.end]
        assert all(c in (" ", f) for c, f in zip(sentence.text, in_file, strict=True))
