"""Reading a corpus folder into documents and their article sentences.

Files are decoded strictly as UTF-8 without newline translation, so every sentence is an
exact slice of `path.read_bytes().decode("utf-8")` and a citation can point into the file.
"""

import datetime
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from retrieval.boilerplate import is_boilerplate
from retrieval.normalize import normalize
from retrieval.sentences import line_spans, split_sentences

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Document:
    """One corpus file. `doc_id` is its path relative to the corpus root without suffix
    (the file stem for top-level files); `date` is ISO yyyy-mm-dd when the page states one."""

    doc_id: str
    title: str
    date: str | None
    path: Path


@dataclass(frozen=True)
class Sentence:
    """A sentence as character offsets into the file's decoded text:
    `path.read_bytes().decode("utf-8")[start:end] == text`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ParsedDocument:
    document: Document
    sentences: list[Sentence]


class CorpusError(Exception):
    """A corpus folder that cannot be used (missing, empty); the message is one line for users."""


_SUFFIXES = frozenset({".txt", ".md"})
_TITLE_MAX = 150

# Scrapers prepend " date 2026-01-01 " to the first line of a page whose date they found.
_DATE_MARKER = re.compile(r"date\s+(\d{4})-(\d{1,2})-(\d{1,2})(?!\S)", re.IGNORECASE)

# A page's own date stands on a line of its own near the top; lower down, such lines
# belong to related-news teasers and say nothing about this page.
_DATE_LINE_WINDOW = 10
_WEEKDAY = r"(?:thứ\s*(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s*nhật|cn|t[2-7])"
_TIME = (
    r"\d{1,2}[:h]\d{2}(?::\d{2})?(?:\s*(?:am|pm|sa|ch))?"
    r"(?:\s*\(?(?:gmt|utc)\s*[+-]\s*\d{1,2}(?::?\d{2})?\)?)?"
)
_GAP = r"\s*[,|–-]?\s*"
_DATE_ONLY = re.compile(
    rf"(?:{_TIME}{_GAP})?(?:{_WEEKDAY}{_GAP})?(?:ngày\s+)?"
    r"(?:(?P<d>\d{1,2})(?P<s1>[/.-])(?P<m>\d{1,2})(?P=s1)(?P<y>\d{4})"
    r"|(?P<y2>\d{4})(?P<s2>[/.-])(?P<m2>\d{1,2})(?P=s2)(?P<d2>\d{1,2}))"
    rf"(?:{_GAP}{_TIME})?",
    re.IGNORECASE,
)


def _iso_date(year: str, month: str, day: str) -> str | None:
    try:
        return datetime.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _date_only(line: str) -> str | None:
    """The ISO date when the whole line is a date (with optional weekday and time)."""
    match = _DATE_ONLY.fullmatch(normalize(line))
    if match is None:
        return None
    if match["y"]:
        return _iso_date(match["y"], match["m"], match["d"])
    return _iso_date(match["y2"], match["m2"], match["d2"])


def _shorten(line: str) -> str:
    # Titles are shown to people, not sliced back into the file: tidy the spacing.
    title = " ".join(line.split())
    if len(title) <= _TITLE_MAX:
        return title
    cut = title[:_TITLE_MAX]
    space = cut.rfind(" ")
    if space > 0:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–") + "…"


def _doc_id(path: Path, root: Path) -> str:
    try:
        relative = path.absolute().relative_to(root.absolute())
    except ValueError:  # a file read on its own, outside any corpus root
        relative = Path(path.name)
    return relative.with_suffix("").as_posix()


def corpus_files(folder: Path) -> list[Path]:
    """Sorted .txt and .md files under `folder`, recursively, hidden files and folders
    skipped, as absolute paths."""
    if not folder.exists():
        raise CorpusError(f"corpus folder not found: {folder}")
    if not folder.is_dir():
        raise CorpusError(f"corpus path is not a folder: {folder}")
    files = []
    # Absolute from the start: the index keys documents by absolute path, and making 150,000
    # relative paths absolute one by one later cost a second of a build's serial time.
    for dirpath, dirnames, filenames in os.walk(folder.absolute()):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        files.extend(
            Path(dirpath, name)
            for name in filenames
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in _SUFFIXES
        )
    if not files:
        raise CorpusError(f"no .txt or .md documents in {folder}")
    return sorted(files)


def _decode(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        _log.warning("skipping %s: cannot be read (%s)", path, exc.strerror or exc)
        return None
    if b"\x00" in data:
        _log.warning("skipping %s: contains NUL bytes, looks like a binary file", path)
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _log.warning(
            "skipping %s: not valid UTF-8 (byte 0x%02x at offset %d)",
            path,
            data[exc.start],
            exc.start,
        )
        return None


def read_document(path: Path, root: Path) -> ParsedDocument | None:
    """The document and its article sentences, or None (with a warning) for a file that is
    unreadable, binary or not UTF-8.

    Blank and boilerplate lines are dropped; a leading " date YYYY-MM-DD " marker or a
    date-only line near the top gives the date and is not a sentence. The title is the
    first remaining line (cut to 150 characters), or the doc_id when nothing remains.
    """
    text = _decode(path)
    if text is None:
        return None
    doc_id = _doc_id(path, root)
    date: str | None = None
    title: str | None = None
    sentences: list[Sentence] = []
    kept = 0
    for line_start, line_end in line_spans(text):
        marker = _DATE_MARKER.match(text, line_start, line_end)
        if marker is not None:
            date = date or _iso_date(*marker.groups())
            body = line_spans(text, marker.end(), line_end)
            if not body:
                continue
            line_start, line_end = body[0]
        line = text[line_start:line_end]
        if is_boilerplate(line):
            continue
        kept += 1
        line_date = _date_only(line)
        if line_date is not None:
            if date is None and kept <= _DATE_LINE_WINDOW:
                date = line_date
            continue
        if title is None:
            title = _shorten(line)
        sentences.extend(
            Sentence(start, end, text[start:end])
            for start, end in split_sentences(text, line_start, line_end)
        )
    if title is None or not sentences:
        title = doc_id
    document = Document(doc_id=doc_id, title=title, date=date, path=path.absolute())
    return ParsedDocument(document=document, sentences=sentences)


def load_corpus(folder: Path) -> list[ParsedDocument]:
    """Every readable document under `folder`; unreadable files are skipped with a warning."""
    documents = [
        parsed
        for path in corpus_files(folder)
        if (parsed := read_document(path, folder)) is not None
    ]
    if not documents:
        raise CorpusError(f"no readable documents in {folder}")
    return documents
