"""What kind of answer a question word asks for, and whether a sentence offers one.

"ai" wants a person or a body, "khi nào" a date or time, "bao nhiêu" a number, "ở đâu" a
place, "vì sao" a cause ("do", "vì", "khiến" ...). The patterns look only at the
sentence's own text; a number or date that the question already states is not an answer
to it.
"""

import re
from enum import Enum

from retrieval.normalize import fold, normalize


class Kind(Enum):
    PERSON = "person"
    TIME = "time"
    NUMBER = "number"
    PLACE = "place"
    CAUSE = "cause"


# Matched on the folded, lowercased question, so it works typed without diacritics.
_QUESTION_PATTERNS = (
    (
        Kind.TIME,
        r"\b(khi nao|bao gio|luc nao|may gio|(ngay|nam|thang|thoi gian|thoi diem|dip) nao)\b",
    ),
    (Kind.NUMBER, r"\b(bao nhieu|may|thu may|bao lau)\b"),
    (
        Kind.PLACE,
        r"\b(o dau|tai dau|den dau|tu dau|noi nao|dau)\s*\W*$|\b(o dau|tai dau|noi nao)\b",
    ),
    (Kind.PERSON, r"(^|\s)ai\b"),
    (Kind.CAUSE, r"\b(vi sao|tai sao|nguyen nhan|li do|ly do|do dau)\b"),
)

_NUMBER = re.compile(r"\d")
_TIME = re.compile(
    r"\d{1,2}[/-]\d{1,4}|\b(ngày|tháng|năm|quý|tuần|giờ|thế kỷ)\s+\d|\d\s*(giờ|h\b|phút)"
    r"|\b(hôm qua|hôm nay|sáng|chiều|tối|đêm|trưa)\b",
    re.IGNORECASE,
)
_PLACE = re.compile(
    r"\b(tại|ở|đến|từ)\s+(\w+\s+){0,3}?[A-ZĐ]\w*"
    r"|\b(bệnh viện|trung tâm|tỉnh|thành phố|TP|huyện|quận|xã|phường|viện|trường)\b"
)
# Two capitalised words in a row after the first word: a name (people, bodies, places).
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-ZĐÂĂÊÔƠƯ][\w]*\s+[A-ZĐÂĂÊÔƠƯ][\w]*")
# The question side is matched folded: typed without diacritics "nam 2021" is "năm 2021".
_TIME_FOLDED = re.compile(fold(_TIME.pattern), re.IGNORECASE)
_CAUSE = re.compile(r"\b(do|vì|bởi|nguyên nhân|khiến|dẫn đến|gây ra|gây nên|lý do|lí do)\b")
_PERSON = re.compile(
    r"\b(ông|bà|anh|chị|bác sĩ|BS|ThS|TS|PGS|GS|giáo sư|tiến sĩ|em|cháu|bé|đồng chí)\b"
)
# A person's full name: three capitalised syllables ("Nguyễn Phú Trọng"); two are as often a
# place or a country ("Việt Nam", "Hà Nội").
_FULL_NAME = re.compile(r"\b[A-ZĐÂĂÊÔƠƯ]\w*\s+[A-ZĐÂĂÊÔƠƯ]\w*\s+[A-ZĐÂĂÊÔƠƯ]\w*")


def question_kind(question: str) -> Kind | None:
    """The kind of answer the question word asks for; None for descriptions and yes/no."""
    folded = fold(normalize(question)).lower()
    for kind, pattern in _QUESTION_PATTERNS:
        if re.search(pattern, folded):
            return kind
    return None


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+", text))


def _new_name(sentence: str, question: str, pattern: re.Pattern[str] = _NAME) -> bool:
    """A name in `sentence` that `question` does not state ("Bộ LĐTBXH" in a caption that
    restates "Những ai tham dự tại điểm cầu Bộ LĐTBXH?" is not an answer to it)."""
    asked = fold(normalize(question)).lower()
    return any(fold(m.group()).lower() not in asked for m in pattern.finditer(sentence))


def offers(kind: Kind, sentence: str, question: str) -> bool:
    """True when `sentence` holds something of `kind` beyond what `question` states."""
    if kind in (Kind.NUMBER, Kind.TIME) and not (_numbers(sentence) - _numbers(question)):
        return (
            kind is Kind.TIME
            and bool(_TIME.search(sentence))
            and not _TIME_FOLDED.search(fold(normalize(question)))
        )
    if kind is Kind.NUMBER:
        return bool(_NUMBER.search(sentence))
    if kind is Kind.TIME:
        return bool(_TIME.search(sentence))
    if kind is Kind.PLACE:
        return bool(_PLACE.search(sentence))
    if kind is Kind.CAUSE:
        return bool(_CAUSE.search(sentence))
    return _new_name(sentence, question, _FULL_NAME) or bool(_PERSON.search(sentence))
