"""Plain text and Markdown files.

Text is decoded from UTF-8 (with or without a BOM) or UTF-16 with a BOM, without newline
translation, so offsets point into the decoded file. Bytes that are not UTF-8 are tried as
the legacy Vietnamese encodings TCVN3 and VNI; anything else is named.
Markdown keeps the file's offsets too: its syntax is blanked out with spaces, not removed.
"""

import codecs
import re
import unicodedata

from retrieval.formats import legacy
from retrieval.formats.model import Extracted, Unreadable

_BOMS = (
    (codecs.BOM_UTF32_LE, None, "UTF-32"),
    (codecs.BOM_UTF32_BE, None, "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


def _eight_bit(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) for legacy Vietnamese 8-bit text, None when it is not that."""
    # Latin-1 keeps one character a byte: TCVN3 and VNI are defined on those characters.
    text, name = legacy.convert(data.decode("latin-1"))
    return None if name is None else (unicodedata.normalize("NFC", text), name)


def decode(data: bytes) -> tuple[str, str, bool]:
    """(text, encoding name, verbatim) of a text file's bytes; raises Unreadable."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            if codec is None:
                raise Unreadable(f"{name} text is not supported: save it as UTF-8")
            try:
                # The BOM stays, as U+FEFF: offsets count it, as they count it in the file.
                return data.decode(codec), name, True
            except UnicodeDecodeError as exc:
                raise Unreadable(f"not valid {name} (bad bytes at offset {exc.start})") from exc
    if b"\x00" in data:
        odd, even = data[1::2].count(0), data[0::2].count(0)
        if max(odd, even) > len(data) // 4 and min(odd, even) <= len(data) // 50:
            raise Unreadable("looks like UTF-16 without a byte-order mark: save it as UTF-8")
        raise Unreadable("contains NUL bytes, looks like a binary file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        found = _eight_bit(data)
        if found is None:
            raise Unreadable(
                f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}) nor TCVN3 "
                "or VNI Vietnamese; an 8-bit encoding such as Windows-1258 or Latin-1? "
                "Save it as UTF-8"
            ) from exc
        return found[0], found[1], False
    # UTF-8 text can still hold legacy text pasted in as Latin-1 characters.
    converted, name = legacy.convert(text)
    if name is not None:
        return converted, f"UTF-8 ({name} inside)", False
    return text, "UTF-8", True


def read_text(data: bytes) -> Extracted:
    text, encoding, verbatim = decode(data)
    return Extracted(text=text, format="txt", verbatim=verbatim, encoding=encoding)


# Markdown syntax, blanked with spaces of the same length so offsets stay those of the file.
_FENCE = re.compile(r"^ {0,3}(```|~~~).*$", re.MULTILINE)
_RULE = re.compile(r"^ {0,3}(?:[-*_] *){3,}$|^ {0,3}(?:=+|-+) *$", re.MULTILINE)
_LINE_PREFIX = re.compile(
    r"^ {0,3}(?:>\s?)*(?:#{1,6}(?=\s)|[-*+](?=\s)|\d{1,9}[.)](?=\s))?", re.MULTILINE
)
_CLOSING_HASHES = re.compile(r"[ \t]+#+[ \t]*$", re.MULTILINE)
_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:\s*\S.*$", re.MULTILINE)
_IMAGE_OR_LINK = re.compile(r"(!?\[)([^\]\n]*)(\]\([^)\n]*\)|\]\[[^\]\n]*\])")
_AUTOLINK_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")
_EMPHASIS = re.compile(r"(\*\*|\*|~~)(?=\S)(.+?)(?<=\S)\1")
# Underscores inside a word (snake_case) are not emphasis.
_UNDERSCORES = re.compile(r"(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_CODE = re.compile(r"`+")
_TABLE_PIPE = re.compile(r"(?<!\\)\|")


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match[0])


def strip_markdown(text: str) -> str:
    """`text` with Markdown syntax (headings, emphasis, links, images, list markers, quotes,
    code fences, rules, tables' pipes, HTML tags) replaced by spaces; same length."""
    text = _FENCE.sub(_blank, text)
    text = _RULE.sub(_blank, text)
    text = _REFERENCE.sub(_blank, text)
    text = _LINE_PREFIX.sub(_blank, text)
    text = _CLOSING_HASHES.sub(_blank, text)
    text = _IMAGE_OR_LINK.sub(lambda m: " " * len(m[1]) + m[2] + " " * len(m[3]), text)
    text = _AUTOLINK_TAG.sub(_blank, text)
    for _ in range(2):  # nested emphasis: ***x***, **_x_**
        for pattern in (_EMPHASIS, _UNDERSCORES):
            text = pattern.sub(lambda m: " " * len(m[1]) + m[2] + " " * len(m[1]), text)
    text = _CODE.sub(_blank, text)
    return _TABLE_PIPE.sub(" ", text)


def read_markdown(data: bytes) -> Extracted:
    text, encoding, _ = decode(data)
    return Extracted(text=strip_markdown(text), format="md", encoding=encoding)
