"""Names and titles in questions typed without capitals (`retrieval.names`): read as the
documents capitalise them, so that "chu tich quoc hoi la ai" is declined over the seeds
like "Chủ tịch Quốc hội là ai?", and what the seeds answer stays answered."""

import json
from pathlib import Path

import pytest

from retrieval import Engine
from retrieval.names import capitals_say_nothing, name_pairs, recased
from retrieval.normalize import fold

DATA = Path(__file__).parent / "data"
SEED_FILES = [
    json.loads((DATA / n).read_text("utf-8"))
    for n in ("seed_questions.json", "seed_questions_15.json")
]
ANSWERABLE = [
    item["question"] for data in SEED_FILES for item in data.get("caption", []) + data["answerable"]
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return Engine.open(index=tmp_path_factory.mktemp("index") / "seeds")


@pytest.mark.parametrize(
    ("text", "silent"),
    [
        ("chu tich quoc hoi la ai", True),
        ("Chu tich quoc hoi la ai?", True),  # a phone capitalises the first letter
        ("CHỦ TỊCH QUỐC HỘI LÀ AI?", True),
        ("Chủ Tịch Quốc Hội Là Ai?", True),
        ("Chủ tịch Quốc hội là ai?", False),
        ("chu tich Quoc hoi la ai", False),
        ("46 nước tham dự ở đâu", True),
    ],
)
def test_when_the_capitals_of_a_question_say_nothing(text: str, silent: bool) -> None:
    assert capitals_say_nothing(text) == silent


def test_a_question_gets_the_capitals_its_words_have_in_the_documents() -> None:
    texts = [
        "Tham dự có Chủ tịch nước Nguyễn Xuân Phúc và các đại biểu Quốc hội.",
        "Hội nghị diễn ra tại nhà Quốc hội.",
        # The capital that starts a sentence is the sentence's.
        "Là nước đầu tiên ký hiệp định.",
    ]
    assert recased("chu tich quoc hoi la ai", texts) == "Chu tich Quoc hoi la ai"
    assert recased("CHỦ TỊCH QUỐC HỘI LÀ AI?", texts) == "Chủ tịch Quốc hội là ai?"
    # A syllable the texts never hold stays lowercase.
    assert recased("chu tich xyz", texts) == "Chu tich xyz"


def test_the_longest_stretch_of_the_question_decides_a_syllables_capital() -> None:
    """ "hòa bình" (peace) is lowercase three times, "Nguyễn Hòa Bình" a name once."""
    texts = [
        "Vì hòa bình, hòa bình và hòa bình thế giới.",
        "Phó thủ tướng Nguyễn Hòa Bình hội kiến ông Gan Kim Yong.",
    ]
    assert recased("nguyen hoa binh hoi kien ai", texts) == "Nguyen Hoa Binh hoi kien ai"
    assert recased("hoa binh la gi", texts) == "hoa binh la gi"


def test_a_lowercase_syllable_continues_a_title_only_where_the_corpus_joins_them() -> None:
    known = {"~chu_tich", "~pho_thu", "~thu_tuong"}
    assert name_pairs("Chu tich Quoc hoi la ai", known) == {"~tich_quoc"}
    # "Singapore mà" is two words: "mà Phó" is no pair inside a name.
    assert name_pairs("Pho thu tuong Singapore ma Pho thu tuong", known) == set()
    assert name_pairs("Thu tuong Nhat Ban tham Viet Nam", known) == {
        "~tuong_nhat",
        "~nhat_ban",
        "~viet_nam",
    }


@pytest.mark.parametrize(
    "question",
    [
        "Chủ tịch Quốc hội là ai?",
        "chu tich quoc hoi la ai",
        "Chu tich quoc hoi la ai?",
        "CHỦ TỊCH QUỐC HỘI LÀ AI?",
        "chủ tịch quốc hội là ai",
    ],
)
def test_a_title_the_seeds_never_write_is_declined_however_it_is_typed(
    engine: Engine, question: str
) -> None:
    assert not engine.ask(question).answered


@pytest.mark.parametrize(
    "question",
    [
        "chu tich nuoc la ai",
        "Chu tich nuoc la ai?",
        "CHỦ TỊCH NƯỚC LÀ AI?",
        "thu tuong chinh phu la ai",
        "THỦ TƯỚNG CHÍNH PHỦ TÊN LÀ GÌ?",
    ],
)
def test_a_title_the_seeds_write_is_answered_however_it_is_typed(
    engine: Engine, question: str
) -> None:
    assert engine.ask(question).answered


@pytest.mark.parametrize("question", ANSWERABLE)
def test_typed_in_lowercase_without_diacritics_cites_what_the_written_question_cites(
    engine: Engine, question: str
) -> None:
    written, typed = engine.ask(question), engine.ask(fold(question).lower())
    assert typed.answered == written.answered
    assert [c.sentence_id for c in typed.sentences[:1]] == [
        c.sentence_id for c in written.sentences[:1]
    ]
