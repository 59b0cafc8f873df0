"""Reading a corpus folder into documents and their article sentences."""

from dataclasses import dataclass
from pathlib import Path


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
