"""Reading documents of every supported format into text: one entry point, `extract`.

One reader a format (plain text and Markdown, PDF, .docx, Word 97 .doc, RTF, HTML), each a
well-kept library where one exists; every reader's text then goes through the same legacy
encoding detection (TCVN3, VNI) and Unicode NFC, except plain text kept verbatim so that
offsets point into the file. A file that cannot be read raises `Unreadable` with a one-line
reason; readers never let a parser's own exception through.
"""

import bisect
import logging
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from retrieval.formats import legacy
from retrieval.formats.html import read_html
from retrieval.formats.model import Extracted, Unreadable
from retrieval.formats.pdf import read_pdf
from retrieval.formats.plain import read_markdown, read_text
from retrieval.formats.rtf import read_rtf
from retrieval.formats.word import read_doc, read_docx

# The parsers log their own complaints about a damaged file; the one warning hoidap gives
# per file (its Unreadable reason) says it for users, once.
for _name in ("pdfminer", "trafilatura", "htmldate", "courlan", "justext"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

READERS: dict[str, Callable[[bytes], Extracted]] = {
    ".txt": read_text,
    ".md": read_markdown,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".doc": read_doc,
    ".rtf": read_rtf,
    ".html": read_html,
    ".htm": read_html,
}
SUFFIXES = frozenset(READERS)

# What a file's first bytes say it is, and the suffix that kind of file takes.
_SIGNATURES = (
    (b"%PDF-", "a PDF", ".pdf"),
    (b"PK\x03\x04", "a zip archive (.docx?)", ".docx"),
    (b"\xd0\xcf\x11\xe0", "a Word 97 .doc (OLE2) file", ".doc"),
    (b"{\\rtf", "an RTF file", ".rtf"),
)


def _kind(data: bytes) -> tuple[str, str] | None:
    head = data[:1024].lstrip()
    for signature, name, suffix in _SIGNATURES:
        if head.startswith(signature) or (signature == b"%PDF-" and signature in head):
            return name, suffix
    return None


def _check_kind(data: bytes, suffix: str) -> None:
    kind = _kind(data)
    if kind is None:
        if suffix in (".pdf", ".docx", ".doc", ".rtf"):
            raise Unreadable(f"not a {suffix} file: its first bytes are not those of one")
        return
    name, proper = kind
    if proper != suffix:
        raise Unreadable(f"named {suffix} but it is {name}: rename it to {proper}")


def _to_unicode(found: Extracted) -> Extracted:
    """Legacy encodings converted and NFC, line by line; page starts move with their lines."""
    lines = found.text.split("\n")
    converted, encoding = legacy.convert_lines(lines)
    converted = [unicodedata.normalize("NFC", line) for line in converted]
    convert = legacy.CONVERTERS.get(encoding or "", str)

    def starts(lines: list[str]) -> list[int]:
        offsets, offset = [], 0
        for line in lines:
            offsets.append(offset)
            offset += len(line) + 1
        return offsets

    old_starts, new_starts = starts(lines), starts(converted)
    pages = []
    for start in found.pages:
        i = max(0, _last_at_most(old_starts, start))
        column = start - old_starts[i]
        if converted[i] != lines[i]:
            column = len(unicodedata.normalize("NFC", convert(lines[i][:column])))
        pages.append(new_starts[i] + column)
    return replace(
        found,
        text="\n".join(converted),
        pages=tuple(pages),
        encoding=encoding or found.encoding,
    )


def _last_at_most(starts: list[int], value: int) -> int:
    return bisect.bisect_right(starts, value) - 1


def extract(path: Path) -> Extracted:
    """The text of the file at `path`; raises Unreadable with a one-line reason."""
    suffix = path.suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise Unreadable(f"{suffix or 'files without a suffix'} is not a supported format")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror or exc})") from exc
    if not data:
        raise Unreadable("empty file (0 bytes)")
    _check_kind(data, suffix)
    found = reader(data)
    if not found.verbatim and found.format != "md":
        # Plain text did its own decoding and conversion; offsets are the file's.
        found = _to_unicode(found)
    if not any(c.isalpha() for c in found.text):
        raise Unreadable("no text in it")
    return found


__all__ = ["READERS", "SUFFIXES", "Extracted", "Unreadable", "extract"]
