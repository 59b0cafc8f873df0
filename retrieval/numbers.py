"""Numbers written more than one way: Roman and Arabic numerals, and dates.

Vietnamese news numbers congresses, terms and plenums in Roman numerals ("Đại hội XIV",
"khóa XIII") while people ask with Arabic ones ("Đại hội 14"). Only a numeral in a place
where a number is expected is converted: a lone "I", "V" or "X" is a pronoun, a letter or
a grade, and "MC", "CD", "LCD" are words; so numerals use I, V, X and L only, and need
either a preceding word that takes a number or to be an uppercase token of 2+ letters in
lowercase text (in ALL CAPS text every word is uppercase, so there a preceding word is
needed too).

A date is "31/12", "31-12" or "ngày 31 tháng 12": the first two segment to the terms
"31", "12", so "tháng" between a day and a month is the only word that needs dropping. A
month and year likewise: "tháng 12/2025", "12-2025", "tháng 12 năm 2025" all hold "12" and
"2025", so "tháng" and "năm" around them are dropped.

Numbers written as words after a word that takes a number ("lần thứ mười bốn", "khóa mười
sáu", "phiên họp thứ năm") are written as digits before anything else, so the numerals
above apply to them; after a bare "thứ" only from ten on, as "thứ hai" ... "thứ bảy" are
also the days of the week.
"""

import re

from retrieval.normalize import fold, normalize

# Folded, lowercased: the one or two words before a number that make it an ordinal or a
# name ("Đại hội XIV", "khóa XIII", "lần thứ 14", "thế kỷ XXI", "Hội nghị Trung ương 8").
NUMBERED_AFTER = frozenset(
    """dai_hoi khoa thu the_ky trung_uong phien ky nhiem_ky hoi_nghi quoc_hoi lan""".split()
)
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}
# With a preceding word, numerals up to 50 (L); standalone, up to XXXIX, so "XL" (a size)
# and "LI" stay words.
_LARGEST_NAMED = 50
_LARGEST_STANDALONE = 39
_WORD = re.compile(r"[^\W_]+")
_DAY_MONTH = re.compile(r"\b(\d{1,2})\s+thang\s+(\d{1,2})\b")
_MONTH_YEAR = re.compile(r"\bthang\s+(\d{1,2})(?:\s*[/-]\s*|\s+nam\s+)(\d{4})\b")
# Folded number words: units, and "muoi" for both mười (ten) and mươi (tens).
_UNITS = {
    "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5,
    "sau": 6, "bay": 7, "tam": 8, "chin": 9,
}  # fmt: skip
# Words after which a number is an ordinal or a name: "lần thứ", "khóa", "Đại hội" ...
_TAKES_NUMBER = re.compile(
    r"\b(lan thu|phien hop thu|phien thu|hoi nghi thu|ky hop thu|khoa|dai hoi|trung uong|"
    r"hoi nghi trung uong|phien|ky hop|lan)\s+$"
)
_SPELLED = re.compile(r"[^\W\d_]+(?:\s+[^\W\d_]+){0,3}")
_LETTERS = re.compile(r"[^\W\d_]+")
_CUT = re.compile(r"\W.*")
# The first words `_spelled_value` reads as a number.
_NUMBER_STARTS = frozenset({"muoi", *_UNITS} - {"lam", "tu"})


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
        # Most words are neither numbers nor numerals (which start with I, V, X or L, in
        # either case): nothing below applies to them.
        if not word.isdigit() and word[0].upper()[0] not in _ROMAN_VALUES:
            continue
        before = [fold(w).lower() for w in words[max(i - 2, 0) : i]]
        named = bool(before) and (
            before[-1] in NUMBERED_AFTER or "_".join(before) in NUMBERED_AFTER
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


def _spelled_value(words: list[str]) -> tuple[int, int] | None:
    """The number the first of `words` (folded) spell and how many words it takes:
    "muoi bon" (14), "hai muoi" (20), "hai muoi mot" (21), "nam" (5)."""
    if not words:
        return None
    if words[0] == "muoi":
        unit = _UNITS.get(words[1]) if len(words) > 1 else None
        return (10 + unit, 2) if unit and words[1] != "mot" else (10, 1)
    tens = _UNITS.get(words[0])
    if tens is None or words[0] in ("lam", "tu"):
        return None
    if len(words) > 1 and words[1] == "muoi" and tens > 1:
        unit = _UNITS.get(words[2]) if len(words) > 2 else None
        return (tens * 10 + unit, 3) if unit and words[2] != "nam" else (tens * 10, 2)
    return tens, 1


def spelled_numbers(text: str) -> str:
    """`text` with numbers written as words after a word that takes a number written as
    digits: "Đại hội lần thứ mười bốn" -> "Đại hội lần thứ 14"."""
    text = normalize(text)
    folded = fold(text)
    if len(folded) != len(text):
        return text
    out, last = [], 0
    for match in _LETTERS.finditer(folded):
        if match.start() < last:
            continue
        # Most words cannot start a number: skipped before `words` below is read. The
        # letters alone, when ASCII, are its first word or a part of one that holds a digit.
        letters = match.group().lower()
        if letters not in _NUMBER_STARTS and letters.isascii():
            continue
        before = folded[max(0, match.start() - 25) : match.start()].lower()
        words = folded[match.start() :].lower().split()[:3]
        words = [_CUT.sub("", w) for w in words]
        found = _spelled_value(words)
        if found is None:
            continue
        value, length = found
        after_thu = re.search(r"\bthu\s+$", before)
        if not (_TAKES_NUMBER.search(before) or (after_thu and value >= 10)):
            continue
        end = match.start()
        for _ in range(length):
            end = re.compile(r"\s*[^\W\d_]+").match(folded, end).end()
        out.append(text[last : match.start()] + str(value))
        last = end
    return "".join(out) + text[last:]


def date_fillers(text: str) -> set[str]:
    """The terms of "tháng" in "31 tháng 12" (segmented, folded and its folded pairs): a
    date written 31/12 has none of them, so a question should not need them."""
    fillers: set[str] = set()
    for match in _DAY_MONTH.finditer(fold(normalize(text)).lower()):
        day, month = match.groups()
        if 1 <= int(day) <= 31 and 1 <= int(month) <= 12:
            fillers |= {"tháng", "~thang", f"~{day}_thang", f"~thang_{month}"}
    for match in _MONTH_YEAR.finditer(fold(normalize(text)).lower()):
        month, year = match.groups()
        if 1 <= int(month) <= 12:
            fillers |= {"tháng", "~thang", f"~thang_{month}"}
            if " nam " in match.group():
                fillers |= {"năm", "~nam", f"~{month}_nam", f"~nam_{year}"}
    return fillers


__all__ = ["date_fillers", "from_roman", "numeral_alternates", "spelled_numbers", "to_roman"]
