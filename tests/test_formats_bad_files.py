"""Files that cannot be read: each gets one warning naming it and why, and every other
document of the folder is still read."""

import logging
import shutil
from pathlib import Path

import pytest
from format_files import (
    write_docx,
    write_html,
    write_pdf,
    write_rtf,
    write_scanned_pdf,
    write_zip_bomb_docx,
)

from retrieval.documents import load_corpus, read_document
from retrieval.formats import Unreadable, extract

_GOOD = ("bao-cao.pdf", "cong-van.docx", "thong-bao.rtf", "hop-bao.html", "tin.txt")


def _good_files(folder: Path) -> None:
    write_pdf(folder / "bao-cao.pdf")
    write_docx(folder / "cong-van.docx")
    write_rtf(folder / "thong-bao.rtf")
    write_html(folder / "hop-bao.html")
    (folder / "tin.txt").write_text("Bộ Y tế họp báo chiều nay.\n", encoding="utf-8")


def _bad_files(folder: Path) -> dict[str, str]:
    """name -> what its warning must say."""
    write_pdf(folder / "mat-khau.pdf", password="bi-mat")
    write_scanned_pdf(folder / "ban-scan.pdf")
    write_zip_bomb_docx(folder / "bom.docx")
    (folder / "hong.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage\x00\xff")
    (folder / "hong.docx").write_bytes(b"PK\x03\x04" + b"\x00\xffnot a zip" * 20)
    (folder / "hong.rtf").write_bytes(b"{\\rtf1\\ansi \x00\x01\x02\x03}")
    (folder / "hong.html").write_bytes(b"\x00\x01\x02\xff\xfe garbage \x00")
    (folder / "hong.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    (folder / "rong.pdf").write_bytes(b"")
    (folder / "rong.txt").write_bytes(b"")
    shutil.copy(folder / "bao-cao.pdf", folder / "nham-duoi.docx")
    return {
        "mat-khau.pdf": "encrypted PDF that needs a password",
        "ban-scan.pdf": "without a text layer (scanned?)",
        "bom.docx": "zip bomb",
        "hong.pdf": "damaged PDF",
        "hong.docx": "damaged .docx",
        "hong.rtf": "no text in it",
        "hong.html": "web page without any main text",
        "hong.doc": "antiword" if shutil.which("antiword") else "needs antiword",
        "rong.pdf": "empty file (0 bytes)",
        "rong.txt": "empty file (0 bytes)",
        "nham-duoi.docx": "named .docx but it is a PDF: rename it to .pdf",
    }


def test_each_bad_file_gets_one_warning_and_nothing_else_is_lost(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _good_files(tmp_path)
    expected = _bad_files(tmp_path)
    with caplog.at_level(logging.WARNING, logger="retrieval.documents"):
        corpus = load_corpus(tmp_path)
    assert sorted(p.document.path.name for p in corpus) == sorted(_GOOD)
    assert all(p.sentences for p in corpus)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == len(expected)
    for name, reason in expected.items():
        [message] = [m for m in messages if f"/{name}:" in m]
        assert reason in message, message


def test_a_missing_converter_is_named_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cu.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(Unreadable, match=r"needs antiword \(apt-get install antiword\)"):
        extract(path)
    assert read_document(path, tmp_path) is None
