"""What a reader hands back, and why a file could not be read."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Extracted:
    """A file's text: one paragraph a line, sentences and offsets refer to it.

    `verbatim` is True when `text` is exactly the file's decoded content (plain text in
    UTF-8 or UTF-16), so offsets point into the file itself and the index need not keep a
    copy. `pages` holds the offset where each page starts (PDF; empty otherwise). `title`
    and `date` (ISO) come from the file's metadata when it has any. `encoding` names a
    legacy encoding (TCVN3, VNI) that was converted."""

    text: str
    format: str
    verbatim: bool = False
    pages: tuple[int, ...] = ()
    title: str | None = None
    date: str | None = None
    language: str | None = None
    encoding: str | None = None
    notes: tuple[str, ...] = field(default=())


class Unreadable(Exception):
    """A file that cannot be indexed; the message says why and what to do, in one line."""
