"""Numbers written more than one way: Roman and Arabic numerals, and dates.

Vietnamese news numbers congresses, terms and plenums in Roman numerals ("Đại hội XIV",
"khóa XIII") while people ask with Arabic ones ("Đại hội 14"). Only a numeral in a place
where a number is expected is converted: a lone "I", "V" or "X" is a pronoun, a letter or
a grade, and "MC", "CD", "LCD" are words; so numerals use I, V, X and L only, and need
either a preceding word that takes a number or to be an uppercase token of 2+ letters in
lowercase text (in ALL CAPS text every word is uppercase, so there a preceding word is
needed too).

A date is "31/12", "31-12" or "ngày 31 tháng 12": the first two segment to the terms
"31", "12", so "tháng" between a day and a month is the only word that needs dropping.
"""

import re

from retrieval.normalize import fold, normalize

# Folded, lowercased: the one or two words before a number that make it an ordinal or a
# name ("Đại hội XIV", "khóa XIII", "lần thứ 14", "thế kỷ XXI", "Hội nghị Trung ương 8").
_NUMBERED_AFTER = frozenset(
    """dai_hoi khoa thu the_ky trung_uong phien ky nhiem_ky hoi_nghi quoc_hoi lan""".split()
)
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}
# With a preceding word, numerals up to 50 (L); standalone, up to XXXIX, so "XL" (a size)
# and "LI" stay words.
_LARGEST_NAMED = 50
_LARGEST_STANDALONE = 39
_WORD = re.compile(r"[^\W_]+")
_DAY_MONTH = re.compile(r"\b(\d{1,2})\s+thang\s+(\d{1,2})\b")


def to_roman(n: int) -> str:
    """`n` (1..89) in canonical Roman numerals."""
    tens, units = divmod(n, 10)
    tens_part = ["", "X", "XX", "XXX", "XL", "L", "LX", "LXX", "LXXX"][tens]
    return tens_part + ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"][units]


def from_roman(token: str) -> int | None:
    """The value of `token` if it is a canonical numeral of I, V, X, L ("IIII" is not)."""
    if not token or any(ch not in _ROMAN_VALUES for ch in token):
        return None
    total = 0
    for ch, following in zip(token, token[1:] + "I", strict=True):
        value = _ROMAN_VALUES[ch]
        total += -value if value < _ROMAN_VALUES[following] else value
    return total if 0 < total < 90 and to_roman(total) == token else None


def numeral_alternates(text: str) -> dict[str, str]:
    """Lowercased term -> its other spelling, for the numerals of `text` that name or
    order something: {"xiv": "14"} for "Đại hội XIV", {"13": "xiii"} for "khóa 13"."""
    words = _WORD.findall(normalize(text))
    all_caps = all(w.isupper() for w in words if not w.isdigit())
    alternates: dict[str, str] = {}
    for i, word in enumerate(words):
        before = [fold(w).lower() for w in words[max(i - 2, 0) : i]]
        named = bool(before) and (
            before[-1] in _NUMBERED_AFTER or "_".join(before) in _NUMBERED_AFTER
        )
        if word.isdigit():
            if named and 0 < int(word) <= _LARGEST_NAMED:
                alternates[word] = to_roman(int(word)).lower()
            continue
        # After "Đại hội" even "xiv" typed in lowercase is a numeral, but not "vi", which is
        # also "vì" typed without marks.
        value = from_roman(word.upper() if named and len(word) >= 3 else word)
        standalone = len(word) >= 2 and not all_caps
        if value is not None and (
            (named and value <= _LARGEST_NAMED) or (standalone and value <= _LARGEST_STANDALONE)
        ):
            alternates[word.lower()] = str(value)
    return alternates


def date_fillers(text: str) -> set[str]:
    """The terms of "tháng" in "31 tháng 12" (segmented, folded and its folded pairs): a
    date written 31/12 has none of them, so a question should not need them."""
    fillers: set[str] = set()
    for match in _DAY_MONTH.finditer(fold(normalize(text)).lower()):
        day, month = match.groups()
        if 1 <= int(day) <= 31 and 1 <= int(month) <= 12:
            fillers |= {"tháng", "~thang", f"~{day}_thang", f"~thang_{month}"}
    return fillers


__all__ = ["date_fillers", "from_roman", "numeral_alternates", "to_roman"]
