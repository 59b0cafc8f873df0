"""Unicode normalisation shared by documents and queries.

Real Vietnamese text mixes NFC and NFD input and two tone-mark placements for the open
syllables oa, oe and uy ("hoà"/"hòa", "khoá"/"khóa", "thuỷ"/"thủy"). Both sides of the
index go through `normalize`, so either spelling finds the other.

We keep the mark on the first vowel ("hòa", "khóa", "thủy"): it is the placement of the
older orthography and of most Vietnamese news sites, and the one pyvi was trained on most.
Closed syllables ("hoàn", "ngoài") and "qu" + y ("quý") are written the same in both styles
and are left alone.
"""

import functools
import re
import unicodedata

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below

# A marked a/e after o, or a marked y after u (not "qu"), ending the word.
_MOVABLE_TONE = re.compile(
    r"(?<![qQ])([uU])([ỳýỷỹỵỲÝỶỸỴ])(?!\w)|([oO])([àáảãạÀÁẢÃẠèéẻẽẹÈÉẺẼẸ])(?!\w)"
)


def _move_tone(match: re.Match[str]) -> str:
    first = match.group(1) or match.group(3)
    marked = match.group(2) or match.group(4)
    base, tone = unicodedata.normalize("NFD", marked)[:2]
    return unicodedata.normalize("NFC", first + tone) + base


# Parsing a question folds and normalises its text, words and pairs some 30 times (a fifth
# of its time): short strings are remembered. Only short ones, so that the texts of
# whole documents never stay in memory.
_CACHED_LENGTH = 200
_CACHE_SIZE = 4096


def normalize(text: str) -> str:
    """NFC with one tone-mark placement; case and everything else untouched."""
    if text.isascii():  # already NFC, and no tone mark to move
        return text
    return _normalize_short(text) if len(text) <= _CACHED_LENGTH else _normalize(text)


def _normalize(text: str) -> str:
    return _MOVABLE_TONE.sub(_move_tone, unicodedata.normalize("NFC", text))


_normalize_short = functools.lru_cache(_CACHE_SIZE)(_normalize)


def fold(text: str) -> str:
    """Drop every diacritic (đ → d), as people type on a phone without a Vietnamese keyboard."""
    if text.isascii():  # nothing to drop
        return text
    return _fold_short(text) if len(text) <= _CACHED_LENGTH else _fold(text)


def _fold_char(ch: str) -> str:
    stripped = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "D")


class _Folded(dict[int, str]):
    """Each character's fold, worked out when first met. Folding is character by character
    (NFD decomposes each character on its own and only reorders the marks it drops), so
    a text's fold is its characters' folds, one `str.translate`: four times faster than
    decomposing the whole text. At most `_CHARACTERS` are kept, however many a text uses."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(self) < _CHARACTERS:
            self[code] = folded
        return folded


_CHARACTERS = 1 << 16
_FOLDED = _Folded()


def _fold(text: str) -> str:
    return text.translate(_FOLDED)


_fold_short = functools.lru_cache(_CACHE_SIZE)(_fold)


def has_diacritics(text: str) -> bool:
    """True when any letter carries a Vietnamese mark (so pyvi can segment it)."""
    return fold(text) != unicodedata.normalize("NFC", text)


__all__ = ["fold", "has_diacritics", "normalize"]
