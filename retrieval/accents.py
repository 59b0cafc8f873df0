"""Putting the diacritics back on a question typed without them, by the corpus's vote.

"thu tuong chinh phu ten la gi" can be read many ways syllable by syllable ("thu" is thu,
thủ, thú, thư, thù ...), but the corpus writes "thu tuong" only one way: "thủ_tướng". Each
run of folded syllables is read as the corpus's own word whose folded spelling it is, the
longest such word first. Among words folded alike ("co the": "có_thể", "cơ_thể") the one
found in the passages the folded question retrieves wins, else the one in most passages. The
restored question then goes through the same path as a question written with diacritics
(pyvi segmentation beside the folded syllables), so both are weighed and abstained alike.

A syllable the corpus never uses is left as typed. Question words are read as question
words ("o dau" is "ở đâu", "la gi" is "là gì"); "dau" and "may" alone are "đâu" and "mấy"
only at the end of the question, elsewhere the corpus votes ("đau", "máy").
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Collection
from typing import TYPE_CHECKING

import numpy as np

from retrieval.normalize import fold, has_diacritics, normalize
from retrieval.tokenizer import FOLDED

if TYPE_CHECKING:
    from retrieval.index import Index

# The longest corpus word looked up, in syllables.
_LONGEST = 4
_TOKEN = re.compile(r"[^\W_]+|[\W_]+")
_WORD = re.compile(r"[^\W_]+")
# fold() one character at a time, as a table: a vocabulary of millions is folded at once.
FOLD_TABLE = str.maketrans(
    {ch: fold(ch) for ch in map(chr, range(0xC0, 0x1EFA)) if len(fold(ch)) == 1 != (fold(ch) == ch)}
)
# Ambiguous alone ("dau" is also đau, "may" máy), question words at the question's end.
_FINAL_QUESTION_WORDS = {"dau": ("đâu",), "may": ("mấy",)}

# Folded syllables -> the words spelt so (their syllables and term ids), most used first.
Readings = dict[tuple[str, ...], list[tuple[tuple[str, ...], int]]]
# Readings kept per folded spelling: the rest are rare spellings or typos.
_KEPT = 4
_READINGS: dict[int, tuple[weakref.ref[Index], Readings]] = {}


def _question_readings() -> Readings:
    # Imported here: query.py imports this module.
    from retrieval.query import QUESTION_WORDS

    readings: Readings = {}
    for word in QUESTION_WORDS:
        syllables = tuple(word.split("_"))
        if len(syllables) > 1 or word in {"ai", "gì", "nào"}:
            readings[tuple(fold(word).split("_"))] = [(syllables, -1)]
    return readings


def readings(index: Index) -> Readings:
    """Folded syllables -> the corpus's words spelt so, most used (in most passages) first,
    for every segmented term of the vocabulary; worked out on the first question typed
    without diacritics and kept while the index lives."""
    slot = id(index)
    cached = _READINGS.get(slot)
    if cached and cached[0]() is index:
        return cached[1]
    passages = np.diff(index.bm25.term_ptr).tolist()
    spelt: dict[tuple[str, ...], list[tuple[int, tuple[str, ...], int]]] = {}
    for term, term_id in index.vocab.items():
        if term[0] == FOLDED or term.count("_") >= _LONGEST:
            continue
        key = tuple(term.translate(FOLD_TABLE).split("_"))
        spelt.setdefault(key, []).append((passages[term_id], tuple(term.split("_")), term_id))
    found: Readings = {
        key: [(syllables, term_id) for _, syllables, term_id in sorted(words, reverse=True)][:_KEPT]
        for key, words in spelt.items()
    }
    found.update(_question_readings())
    _READINGS[slot] = (weakref.ref(index, lambda _: _READINGS.pop(slot, None)), found)
    return found


def _cased(syllable: str, typed: str) -> str:
    """`syllable` with the capital of `typed` (pyvi reads capitals as names)."""
    return syllable[:1].upper() + syllable[1:] if typed[:1].isupper() else syllable


def _reading(
    tokens: list[str], span: list[int], known: Readings, seen: Collection[int], last: int
) -> tuple[str, ...] | None:
    """The reading of the words `span` of `tokens`: one found in the retrieved passages
    (`seen` term ids), else with `seen` empty the most used one, else None."""
    # A word never reaches across punctuation: only spaces between its syllables.
    if any(tokens[i].strip() for i in range(span[0] + 1, span[-1], 2)):
        return None
    key = tuple(tokens[i].lower() for i in span)
    if len(span) == 1 and span[0] == last and key[0] in _FINAL_QUESTION_WORDS:
        return _FINAL_QUESTION_WORDS[key[0]]
    words = known.get(key, [])
    for syllables, term_id in words:
        if term_id < 0 or term_id in seen:
            return syllables
    return None if seen else (words[0][0] if words else None)


def restore(index: Index, text: str, seen: Collection[int] = ()) -> str:
    """`text` with the diacritics the corpus votes for; `text` itself when it has any.
    `seen`: the term ids of the passages the folded question retrieves, whose words are
    preferred, the longest first; without one there, the most used words."""
    if has_diacritics(text):
        return text
    known = readings(index)
    tokens = _TOKEN.findall(normalize(text))
    words = [i for i, token in enumerate(tokens) if _WORD.fullmatch(token)]
    last = words[-1] if words else -1
    out = list(tokens)
    position = 0
    while position < len(words):
        longest = min(_LONGEST, len(words) - position)
        spans = [words[position : position + n] for n in range(longest, 0, -1)]
        for span, reading in (
            (span, _reading(tokens, span, known, pool, last))
            for pool in ((seen, ()) if seen else ((),))
            for span in spans
        ):
            if reading:
                for i, syllable in zip(span, reading, strict=True):
                    out[i] = _cased(syllable, tokens[i])
                position += len(span)
                break
        else:
            position += 1
    return "".join(out)


__all__ = ["FOLD_TABLE", "readings", "restore"]
