"""Abbreviations and their long forms: "BNG" is "Bộ Ngoại giao", "LHQ" is "Liên hợp quốc".

Two sources: a small table of common ones (data/abbreviations.tsv), and the pairs a corpus
defines itself, a long name followed by its short form in parentheses: "Ban Chỉ đạo Trung
ương về chính sách nhà ở (Ban Chỉ đạo)", "Bộ Lao động - Thương binh và Xã hội (LĐTBXH)".

Forms are compared folded and lowercased ("LĐTBXH" and "ldtbxh" are one key), since
questions are typed with and without diacritics alike.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from retrieval.normalize import fold, normalize
from retrieval.numbers import NUMBERED_AFTER, from_roman
from retrieval.tokenizer import index_terms

if TYPE_CHECKING:
    # The index stores what corpus_abbreviations finds, so it imports this module.
    from retrieval.index import Index

_WORD = re.compile(r"[^\W_]+")
_PARENTHESISED = re.compile(r"\(([^()]{2,60})\)")
# Words an acronym skips: "Bộ Lao động - Thương binh và Xã hội" is LĐTBXH, without "và".
_SKIPPED = frozenset({"va", "cua"})
_LONGEST_NAME = 20


def key(form: str) -> str:
    """The spelling forms are compared by: folded, lowercased, letters and digits only."""
    return "".join(_WORD.findall(fold(normalize(form)).lower()))


def words(text: str) -> list[str]:
    """The folded, lowercased words of `text`, punctuation dropped."""
    return _WORD.findall(fold(normalize(text)).lower())


@cache
def common() -> dict[str, tuple[str, ...]]:
    """The bundled table: short form's key -> its long forms (several when ambiguous)."""
    table: dict[str, tuple[str, ...]] = {}
    text = resources.files("retrieval").joinpath("data/abbreviations.tsv").read_text("utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            short, long = line.split("\t")
            table[key(short)] = (*table.get(key(short), ()), long.strip())
    return table


def _is_acronym(form: str) -> bool:
    letters = [ch for ch in form if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters) and " " not in form.strip()


def _initials_name(acronym: str, before: str) -> str | None:
    """The words at the end of `before` whose initials spell `acronym`, as written."""
    target = key(acronym)
    spans = list(_WORD.finditer(before))
    initials = ""
    for match in reversed(spans[-3 * len(target) :]):
        word = fold(match.group()).lower()
        if word in _SKIPPED and initials:
            continue
        initials = word[0] + initials
        if initials == target:
            return before[match.start() :].strip(" -,")
        if not target.endswith(initials):
            return None
    return None


def _prefix_name(short: str, before: str) -> str | None:
    """ "Ban Chỉ đạo Trung ương về ... (Ban Chỉ đạo)": the name that starts with `short`."""
    start = before.rfind(short)
    if start < 0:
        return None
    name = before[start:].strip(" -,")
    n_words = len(name.split())
    # "(Anh), các bác sĩ ... (Anh)": a name never runs across another parenthesis.
    fits = len(short.split()) < n_words <= _LONGEST_NAME and not {"(", ")"} & set(name)
    return name if fits else None


def defined_abbreviations(texts: Iterable[str]) -> dict[str, str]:
    """Short form -> long form, for each "long form (short form)" in `texts`."""
    found: dict[str, str] = {}
    for text in texts:
        for match in _PARENTHESISED.finditer(normalize(text)):
            short = match.group(1).strip()
            before = match.string[: match.start()]
            if _is_acronym(short):
                name = _initials_name(short, before)
            elif short[:1].isupper():
                name = _prefix_name(short, before)
            else:
                name = None
            if name:
                found.setdefault(short, name)
    return found


# One side of a pair, as folded words -> the other side as written.
Forms = dict[str, list[tuple[tuple[str, ...], str]]]
_FORMS: dict[int, tuple[weakref.ref[Index], Forms]] = {}


def corpus_abbreviations(text_ptr: np.ndarray, text_blob: np.ndarray) -> dict[str, str]:
    """The pairs the sentences (UTF-8 `text_blob`, offsets `text_ptr`) define. Run once when
    the index is built: only sentences holding "(" can define one, found in the bytes."""
    at = np.flatnonzero(np.asarray(text_blob) == ord("("))
    sentences = np.unique(np.searchsorted(text_ptr, at, side="right") - 1)
    blob = memoryview(np.asarray(text_blob))
    return defined_abbreviations(
        bytes(blob[int(text_ptr[s]) : int(text_ptr[s + 1])]).decode("utf-8")
        for s in sentences.tolist()
    )


def forms(index: Index) -> Forms:
    """Both sides of every known pair (table and corpus-defined), by first word; worked
    out on an index's first question and kept while the index lives."""
    slot = id(index)
    cached = _FORMS.get(slot)
    if cached and cached[0]() is index:
        return cached[1]
    pairs = [(short, long) for short, longs in common().items() for long in longs]
    pairs += list(index.abbreviations.items())
    found: Forms = {}
    for short, long in pairs:
        short_words, long_words = tuple(words(short)), tuple(words(long))
        sides = [(long_words, short)]
        # "Ban Chỉ đạo" inside "Ban Chỉ đạo Trung ương ...": a sentence with the long form
        # already holds the short one.
        if long_words[: len(short_words)] != short_words:
            sides.append((short_words, long))
        for side, other in sides:
            if side:
                found.setdefault(side[0], []).append((side, other))
    _FORMS[slot] = (weakref.ref(index, lambda _: _FORMS.pop(slot, None)), found)
    return found


@lru_cache(maxsize=4096)
def _terms(form: str) -> tuple[str, ...]:
    return tuple(index_terms(form))


def _marker(index: Index, form: str) -> str | None:
    """The term of `form` in fewest passages: a sentence holding it almost surely holds the
    whole form. Document frequency, not idf: in a small corpus every common term's idf is
    clamped to one value. On ties the later term, a syllable pair, is the more specific."""
    ptr = index.bm25.term_ptr
    known = [(i, t) for i, t in enumerate(_terms(form)) if t in index.vocab]
    if not known:
        return None
    frequency = [int(ptr[index.vocab[t] + 1] - ptr[index.vocab[t]]) for _, t in known]
    return min(zip(frequency, known, strict=True), key=lambda f: (f[0], -f[1][0]))[1][1]


def _inside(term: str, span: tuple[str, ...]) -> bool:
    syllables = fold(term.lstrip("~")).split("_")
    n = len(syllables)
    return any(list(span[i : i + n]) == syllables for i in range(len(span) - n + 1))


# An abbreviation with several meanings (ĐH: Đại hội or Đại học) followed by a numeral
# ("ĐH XIV", "ĐH 14") means the one that takes a number; after "trường" or before the name
# of a school it means a university.
_SCHOOL = frozenset("truong sinh tuyen bach quoc su y kinh luat my".split())


def _in_context(
    found: list[tuple[tuple[str, ...], str]], before: list[str], after: list[str]
) -> list[tuple[tuple[str, ...], str]]:
    """The meanings of one form at a place in the question that fit its neighbours."""
    if len({other for _, other in found}) < 2:
        return found
    numbered = bool(after) and (after[0].isdigit() or from_roman(after[0].upper()) is not None)
    schooling = bool(set(before + after) & _SCHOOL)
    chosen = [
        (side, other)
        for side, other in found
        if (numbered and "_".join(words(other)) in NUMBERED_AFTER)
        or (schooling and not numbered and "_".join(words(other)) == "dai_hoc")
    ]
    return chosen or found


def other_forms(index: Index, text: str, terms: Iterable[str]) -> dict[str, list[str]]:
    """For each query term inside an abbreviation or a long form in `text`, the rarest
    term of the other form: "bng" -> ["~bo_ngoai"], "~ngoai" -> ["bng"]."""
    said = words(text)
    known = forms(index)
    spans: list[tuple[tuple[str, ...], str]] = []
    for i, word in enumerate(said):
        candidates = known.get(word)
        if not candidates:  # most words: no pair starts with them
            continue
        found = [
            (side, other) for side, other in candidates if tuple(said[i : i + len(side)]) == side
        ]
        if found:
            spans += _in_context(found, said[i - 1 : i], said[i + 1 : i + 2])
    extra: dict[str, list[str]] = {}
    for side, other in spans:
        marker = _marker(index, other)
        if marker is None:
            continue
        for term in terms:
            if _inside(term, side):
                extra.setdefault(term, []).append(marker)
    return extra


__all__ = [
    "common",
    "corpus_abbreviations",
    "defined_abbreviations",
    "forms",
    "key",
    "other_forms",
    "words",
]
