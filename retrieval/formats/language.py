"""Telling Vietnamese documents from others, so that a page in another language is indexed
but never crowds out Vietnamese answers (see `Engine.ask`)."""

import re

from retrieval.normalize import has_diacritics

_WORD = re.compile(r"[^\W\d_]+")
# Enough words to judge by; the sample is the start of the text.
_MIN_WORDS = 20
_SAMPLE = 20_000
# Vietnamese prose marks most syllables: news text has marks on about 70% of its words,
# English or French text on under 5%.
_VIETNAMESE_SHARE = 0.3


def language_of(text: str, declared: str | None = None) -> str | None:
    """ "vi" for Vietnamese text, the declared language (or "other") for text that is not,
    None when too short to tell."""
    words = _WORD.findall(text[:_SAMPLE])
    if len(words) < _MIN_WORDS:
        return declared.split("-")[0].lower() if declared else None
    marked = sum(1 for word in words if not word.isascii() and has_diacritics(word))
    if marked >= _VIETNAMESE_SHARE * len(words):
        return "vi"
    if declared:
        return declared.split("-")[0].lower()
    return "other"
