"""Roman and Arabic numerals and dates: which spellings a question is allowed to swap."""

import pytest

from retrieval.numbers import date_fillers, from_roman, numeral_alternates, to_roman


@pytest.mark.parametrize(
    ("question", "alternates"),
    [
        ("Đại hội XIV diễn ra khi nào?", {"xiv": "14"}),
        ("Đại hội 14 diễn ra khi nào?", {"14": "xiv"}),
        ("Đại hội Đảng lần thứ 14", {"14": "xiv"}),
        ("Quốc hội khóa 13", {"13": "xiii"}),
        ("Hội nghị Trung ương 8 bàn gì", {"8": "viii"}),
        ("dai hoi xiv", {"xiv": "14"}),
        ("ĐẠI HỘI XIV", {"xiv": "14"}),
        ("Thế kỷ XXI là thế kỷ của châu Á?", {"xxi": "21"}),
    ],
)
def test_numerals_that_name_something_get_their_other_spelling(
    question: str, alternates: dict[str, str]
) -> None:
    assert numeral_alternates(question) == alternates


@pytest.mark.parametrize(
    "question",
    [
        "I love my CD player and LCD TV",
        "MC của chương trình là ai",
        "Mua đĩa DC ở đâu",
        "AI CHỦ TRÌ VI PHẠM GÌ",
        "Áo size XL giá bao nhiêu",
        "vitamin C và D có tác dụng gì",
        "14 người bị thương",
        "Đại hội IIII",
        "dai hoi vi hoa binh",
    ],
)
def test_words_and_plain_numbers_are_left_alone(question: str) -> None:
    assert numeral_alternates(question) == {}


def test_roman_numerals_round_trip_and_reject_non_canonical_spellings() -> None:
    assert all(from_roman(to_roman(n)) == n for n in range(1, 90))
    assert [from_roman(s) for s in ("IIII", "IL", "VX", "MC", "")] == [None] * 5


def test_tháng_between_day_and_month_is_optional() -> None:
    assert "tháng" in date_fillers("Ai chủ trì cuộc họp ngày 31 tháng 12?")
    assert "~thang_12" in date_fillers("ai chu tri cuoc hop ngay 31 thang 12")
    assert date_fillers("Lương tháng 12 là bao nhiêu") == set()
    assert date_fillers("ngày 40 tháng 13") == set()
