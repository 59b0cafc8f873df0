"""Reading a corpus folder into documents and their article sentences.

Each file's text comes from `retrieval.formats` (plain text, Markdown, PDF, Word, RTF,
HTML). Sentences are offsets into that text. Plain text is decoded without newline
translation, so there they are offsets into the decoded file itself; for other formats the
extracted text is kept with the index (`hoidap text DOC_ID` prints it).
"""

import bisect
import datetime
import errno
import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from retrieval import formats
from retrieval.boilerplate import is_boilerplate
from retrieval.formats.language import language_of
from retrieval.normalize import normalize
from retrieval.sentences import line_spans, split_sentences

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Document:
    """One corpus file. `doc_id` is its path relative to the corpus root without suffix
    (the file stem for top-level files); `date` is ISO yyyy-mm-dd when the page states one.
    `format` is the reader's ("txt", "md", "pdf", "docx", "doc", "rtf", "html"); `pages`
    the offsets where the pages of a PDF start; `language` "vi", another language's code,
    or None when too short to tell."""

    doc_id: str
    title: str
    date: str | None
    path: Path
    format: str = "txt"
    pages: tuple[int, ...] = ()
    language: str | None = None

    def page_of(self, offset: int) -> int | None:
        """The 1-based page holding `offset` in a paged document, else None."""
        return bisect.bisect_right(self.pages, offset) if self.pages else None


@dataclass(frozen=True)
class Sentence:
    """A sentence as character offsets into its document's text (`ParsedDocument.text`,
    or the decoded file when that is None): `text[start:end] == text`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ParsedDocument:
    document: Document
    sentences: list[Sentence]
    # The extracted text the offsets refer to; None when it is the decoded file itself.
    text: str | None = None


class CorpusError(Exception):
    """A corpus folder that cannot be used (missing, empty); the message is one line for users."""


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


# A line that is only a date, weekday and time is shorter than this; longer lines are not
# normalised to find out (normalising every line of a 30 MB text took seconds).
_DATE_LINE_MAX = 120


def _date_only(line: str) -> str | None:
    """The ISO date when the whole line is a date (with optional weekday and time)."""
    if len(line) > _DATE_LINE_MAX:
        return None
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


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _skip_reason(path: str) -> str | None:
    """Why `path` cannot be read as a regular file, or None when it can. Only stat is used:
    opening a FIFO to look at it would wait forever for a writer."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "broken symbolic link" if os.path.islink(path) else "vanished while listed"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        return exc.strerror or str(exc)
    return None if stat.S_ISREG(mode) else _kind(mode)


def corpus_listing(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The corpus's document files (sorted .txt and .md files under `folder`, recursively,
    hidden files and folders skipped, as absolute paths) and the files skipped with why:
    dangling or looping symbolic links, FIFOs, sockets, devices. Symbolic links to folders
    are followed, each folder once (a link back up would loop)."""
    if not folder.exists():
        raise CorpusError(f"corpus folder not found: {folder}")
    if not folder.is_dir():
        raise CorpusError(f"corpus path is not a folder: {folder}")
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    seen: set[tuple[int, int]] = set()

    # Absolute from the start: the index keys documents by absolute path, and making 150,000
    # relative paths absolute one by one later cost a second of a build's serial time.
    def unlisted(error: OSError) -> None:
        skipped.append((Path(str(error.filename)), error.strerror or str(error)))

    walk = os.walk(folder.absolute(), onerror=unlisted, followlinks=True)
    for dirpath, dirnames, filenames in walk:
        here = os.stat(dirpath)
        if (here.st_dev, here.st_ino) in seen:  # reached again through a link
            dirnames[:] = []
            continue
        seen.add((here.st_dev, here.st_ino))
        kept = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            try:
                inner = os.stat(os.path.join(dirpath, name))
            except OSError as exc:
                unlisted(exc)
                continue
            if (inner.st_dev, inner.st_ino) in seen:
                skipped.append((Path(dirpath, name), "a link to a folder already listed"))
            else:
                kept.append(name)
        dirnames[:] = kept
        for name in filenames:
            if name.startswith(".") or os.path.splitext(name)[1].lower() not in formats.SUFFIXES:
                continue
            reason = _skip_reason(os.path.join(dirpath, name))
            if reason is None:
                files.append(Path(dirpath, name))
            else:
                skipped.append((Path(dirpath, name), reason))
    if not files:
        raise CorpusError(f"no documents ({', '.join(sorted(formats.SUFFIXES))}) in {folder}")
    return sorted(files), sorted(skipped)


def corpus_files(folder: Path) -> list[Path]:
    """The document files of `corpus_listing`."""
    return corpus_listing(folder)[0]


def read_document(path: Path, root: Path) -> ParsedDocument | None:
    """The document and its article sentences, or None (with one warning saying why) for a
    file that cannot be read: unreadable, damaged, encrypted, scanned, of the wrong kind.

    Blank and boilerplate lines are dropped; a leading " date YYYY-MM-DD " marker or a
    date-only line near the top gives the date and is not a sentence. The title is the
    file's own (web pages, Word properties), else the first remaining line (cut to 150
    characters), or the doc_id when nothing remains.
    """
    try:
        extracted = formats.extract(path)
    except formats.Unreadable as exc:
        _log.warning("skipping %s: %s", path, exc)
        return None
    text = extracted.text
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
    document = Document(
        doc_id=doc_id,
        title=_shorten(extracted.title) if extracted.title else title,
        date=extracted.date or date,
        path=path.absolute(),
        format=extracted.format,
        pages=extracted.pages,
        language=language_of(text, extracted.language),
    )
    kept_text = None if extracted.verbatim else text
    return ParsedDocument(document=document, sentences=sentences, text=kept_text)


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
