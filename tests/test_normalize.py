import random
import unicodedata

import pytest

from retrieval.normalize import fold, has_diacritics, normalize
from retrieval.tokenizer import segment


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("hoà bình", "hòa bình"),
        ("khoá XIII", "khóa XIII"),
        ("thuỷ sản", "thủy sản"),
        ("loè loẹt", "lòe loẹt"),
        ("HOÀ", "HÒA"),
        ("Văn hoá", "Văn hóa"),
    ],
)
def test_both_tone_placements_become_one(written: str, canonical: str) -> None:
    assert normalize(written) == canonical
    assert normalize(canonical) == canonical


@pytest.mark.parametrize("word", ["quý", "hoàn thành", "ngoài", "khuyến", "toàn", "thoát"])
def test_words_spelled_alike_in_both_styles_are_untouched(word: str) -> None:
    assert normalize(word) == word


def test_decomposed_input_is_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Đại hội Đảng")
    assert decomposed != "Đại hội Đảng"
    assert normalize(decomposed) == "Đại hội Đảng"


def test_fold_removes_every_mark() -> None:
    assert fold("Đại hội XIV của Đảng, chủ trì") == "Dai hoi XIV cua Dang, chu tri"
    assert has_diacritics("chủ trì")
    assert not has_diacritics("chu tri 31/12")


def test_segment_joins_words_before_lowercasing_and_drops_punctuation() -> None:
    terms = segment("Ông Lê Hoài Trung, Bộ trưởng Ngoại giao chủ trì cuộc họp.")
    assert "lê_hoài_trung" in terms
    assert "chủ_trì" in terms
    assert "," not in terms and "." not in terms
    assert all(t == t.lower() for t in terms)


def test_segment_indexes_tone_variants_alike() -> None:
    assert segment("giữ vững hoà bình, khoá họp") == segment("giữ vững hòa bình, khóa họp")


def test_remembered_and_ascii_paths_give_the_full_functions_results() -> None:
    import retrieval.normalize as module

    decomposed = unicodedata.normalize("NFD", "Thuỷ điện Hoà Bình")
    texts = [
        "ai chu tri cuoc hop BNG ngay 31/12",
        "Hoà bình, khoá XIII, thuỷ sản",
        decomposed,
        "Đại hội ĐẢNG lần thứ XIV — “trích dẫn”",
        "x" * 300 + " hoà",  # longer than what is remembered
        "",
        "Ελληνικά café naïve",
    ]
    for _ in range(2):  # the second time from memory
        for text in texts:
            assert fold(text) == module._fold(text)
            assert normalize(text) == module._normalize(text)
            assert has_diacritics(text) == (
                module._fold(text) != unicodedata.normalize("NFC", text)
            )


def test_fold_by_characters_is_folding_the_whole_text() -> None:
    # fold() translates character by character; folding means decomposing the whole text
    # (NFD reorders the marks of a run) and dropping every mark.
    def whole(text: str) -> str:
        decomposed = unicodedata.normalize("NFD", text)
        kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        return kept.replace("đ", "d").replace("Đ", "D")

    pool = (
        [chr(c) for c in range(0x300, 0x370)]  # combining marks, in any order
        + list("ĐđaăâêôơưyÀÁẢÃẠàáảãạớờởỡợ ,.")
        + [chr(c) for c in range(0xAC00, 0xAC10)]  # Hangul syllables decompose too
        + list("ΑΣΩάέÅǅﬁ\u212b\u2126\u1e9e")
    )
    rng = random.Random(7)
    for _ in range(20000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 10)))
        assert fold(text) == whole(text), repr(text)
