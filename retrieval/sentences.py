"""Splitting Vietnamese news text into sentences, as character offsets.

Offsets (not copies) are returned so a citation can point at exactly the bytes of the
source file. A line break always ends a sentence: scraped pages put titles, captions and
headlines on lines of their own without final punctuation.

Inside a line a sentence ends after . ! ? … (or a run of them, plus closing quotes and
brackets) only when whitespace and then an uppercase letter, a digit or an opening quote
or bracket follow. That keeps numbers (1.000.000, 286,3, 14.12.2021) and an ellipsis
followed by a lowercase word whole without special cases; abbreviations (TP. Hồ Chí Minh)
and speech inside quotes or brackets are the exceptions handled explicitly.
"""

import itertools
import re

# The same breaks as str.splitlines, so a "line" means the same thing everywhere.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")

# A BOM and zero-width spaces are not whitespace to str.strip, yet must never start or
# end a sentence.
_INVISIBLE = "\ufeff\u200b\u2060"

_OPENERS = "\"“‘'«(["
_CLOSERS = "\"”’'»)]"
_PAIRS = {"“": "”", "«": "»", "(": ")", "[": "]"}
_CLOSING = frozenset(_PAIRS.values())
# The characters `_bracketed` looks at: a line is scanned for these alone, not character by
# character in Python (which made reading a 30 MB text take a minute).
_BRACKET_CHARS = re.compile("[" + re.escape("".join(_PAIRS) + "".join(_CLOSING)) + '"]')

_BOUNDARY = re.compile(r"([.!?…]+)([\"”’'»)\]]*)\s+(?=\S)")

# Lowercased, without the final dot. Only forms that are not also ordinary words: "ông"
# or "no" end real sentences ("…gặp ông.", "…ăn no.") far more often than they abbreviate.
_ABBREVIATIONS = frozenset(
    {
        "tp",
        "th.s",
        "ths",
        "ts",
        "gs",
        "pgs",
        "pgs.ts",
        "gs.ts",
        "gs.tskh",
        "tskh",
        "ts.bs",
        "bs",
        "ks",
        "ncs",
        "q",
        "p",
        "tx",
        "tt",
        "tr",
        "st",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "vs",
        "v.v",
    }
)


def _is_edge_junk(ch: str) -> bool:
    return ch.isspace() or ch in _INVISIBLE


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and _is_edge_junk(text[start]):
        start += 1
    while end > start and _is_edge_junk(text[end - 1]):
        end -= 1
    return start, end


def line_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Stripped, non-empty line spans inside text[start:end], in order."""
    start, end, _ = slice(start, end).indices(len(text))
    spans = []
    line_start = start
    for match in _LINE_BREAK.finditer(text, start, end):
        spans.append(_strip(text, line_start, match.start()))
        line_start = match.end()
    spans.append(_strip(text, line_start, end))
    return [(s, e) for s, e in spans if s < e]


def _bracketed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(open, close) positions of matched quotes and brackets on one line.

    Straight double quotes cannot tell opening from closing, so they are paired in order,
    and only when the line holds an even number of them.
    """
    pairs = []
    stack: list[tuple[str, int]] = []
    straight = []
    for match in _BRACKET_CHARS.finditer(text, start, end):
        ch, i = match[0], match.start()
        if ch in _PAIRS:
            stack.append((ch, i))
        elif ch in _CLOSING:
            for depth in range(len(stack) - 1, -1, -1):
                if _PAIRS[stack[depth][0]] == ch:
                    pairs.append((stack[depth][1], i))
                    del stack[depth:]
                    break
        elif ch == '"':
            straight.append(i)
    if len(straight) % 2 == 0:
        pairs.extend(zip(straight[::2], straight[1::2], strict=True))
    return pairs


def _is_abbreviation(token: str) -> bool:
    if token.lower() in _ABBREVIATIONS:
        return True
    if len(token) == 1 and token.isupper():  # an initial: "Nguyễn V. A"
        return True
    parts = token.split(".")
    # Dotted single letters: "v.v", "U.S".
    return len(parts) > 1 and all(len(part) == 1 and part.isalpha() for part in parts)


def _token_before(text: str, line_start: int, pos: int) -> str:
    begin = pos
    while begin > line_start and not text[begin - 1].isspace() and text[begin - 1] not in _OPENERS:
        begin -= 1
    return text[begin:pos]


def _line_cuts(text: str, start: int, end: int) -> list[int]:
    """Positions inside one line where a sentence ends."""
    protected = _bracketed(text, start, end)
    cuts = []
    for match in _BOUNDARY.finditer(text, start, end):
        nxt = text[match.end()]
        if not (nxt.isupper() or nxt.isdigit() or nxt in _OPENERS):
            continue
        cut = match.end(2)
        if any(open_ < cut <= close for open_, close in protected):
            continue
        if match.group(1) == "." and _is_abbreviation(_token_before(text, start, match.start(1))):
            continue
        cuts.append(cut)
    return cuts


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans inside text[start:end] as offsets into `text`.

    Every span is stripped of whitespace at both ends and holds at least one letter or
    digit; lone punctuation ("•", "...") is not a sentence.
    """
    spans = []
    for line_start, line_end in line_spans(text, start, end):
        bounds = [line_start, *_line_cuts(text, line_start, line_end), line_end]
        for s, e in itertools.pairwise(bounds):
            s, e = _strip(text, s, e)
            if any(ch.isalnum() for ch in text[s:e]):
                spans.append((s, e))
    return spans


__all__ = ["line_spans", "split_sentences"]
