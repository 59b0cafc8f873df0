"""Joining the lines a layout broke (hard line breaks, hyphenation) back into paragraphs."""

import re

# A line that ends a paragraph's sentence; a paragraph going on starts in lower case.
_ENDS_SENTENCE = re.compile(r"[.!?…:;\"”»)]\s*$")
_HYPHENATED = re.compile(r"[^\W\d_]-$")


def join_lines(lines: list[str]) -> str:
    """One paragraph from its layout lines: a word cut by a hyphen at the end of a line
    is joined again, other line breaks become a space."""
    out = ""
    for line in (line.strip() for line in lines):
        if not line:
            continue
        if out and _HYPHENATED.search(out) and line[0].islower():
            out = out[:-1] + line
        else:
            out = f"{out} {line}" if out else line
    return out


def continues(previous: str, following: str) -> bool:
    """Whether `following` carries on the sentence `previous` left open (across a page or
    a text box): no final punctuation before, a lower-case letter after."""
    return bool(previous) and not _ENDS_SENTENCE.search(previous) and following[:1].islower()
