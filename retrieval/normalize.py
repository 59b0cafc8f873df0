"""Unicode normalisation shared by documents and queries.

Real Vietnamese text mixes NFC and NFD input and two tone-mark placements for the open
syllables oa, oe and uy ("hoà"/"hòa", "khoá"/"khóa", "thuỷ"/"thủy"). Both sides of the
index go through `normalize`, so either spelling finds the other.

We keep the mark on the first vowel ("hòa", "khóa", "thủy"): it is the placement of the
older orthography and of most Vietnamese news sites, and the one pyvi was trained on most.
Closed syllables ("hoàn", "ngoài") and "qu" + y ("quý") are written the same in both styles
and are left alone.
"""

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


def normalize(text: str) -> str:
    """NFC with one tone-mark placement; case and everything else untouched."""
    return _MOVABLE_TONE.sub(_move_tone, unicodedata.normalize("NFC", text))


def fold(text: str) -> str:
    """Drop every diacritic (đ → d), as people type on a phone without a Vietnamese keyboard."""
    stripped = "".join(
        ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch)
    )
    return stripped.replace("đ", "d").replace("Đ", "D")


def has_diacritics(text: str) -> bool:
    """True when any letter carries a Vietnamese mark (so pyvi can segment it)."""
    return fold(text) != unicodedata.normalize("NFC", text)


__all__ = ["fold", "has_diacritics", "normalize"]
