"""Names and titles in questions typed without capitals (`retrieval.names`): read as the
documents capitalise them, so that "chu tich quoc hoi la ai" is declined over the seeds
like "Chủ tịch Quốc hội là ai?", and what the seeds answer stays answered."""

import json
from pathlib import Path

import pytest

from retrieval import Engine
from retrieval.abstention import absent_names, unknown_runs, unseen_titles
from retrieval.names import (
    capitals_say_nothing,
    name_pairs,
    name_runs,
    recased,
    runs_absent,
    unknown_name_runs,
)
from retrieval.normalize import fold
from retrieval.query import parse_query

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


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("Hội nghị cấp cao ASEAN lần thứ 46 diễn ra ở đâu?", 1),
        ("Tổng thư ký Liên hợp quốc Antonio Guterres nói gì?", 1),
        ("Việt Nam, Israel và ASEAN", 2),
        # The first word's capital is the sentence's; without telling capitals, none.
        ("Antonio nói gì?", 0),
        ("hoi nghi asean dien ra o dau", 0),
        ("HỘI NGHỊ ASEAN", 0),
    ],
)
def test_capitalised_words_the_corpus_never_uses_are_names_it_never_mentions(
    text: str, runs: int
) -> None:
    assert unknown_name_runs(text, {"asean", "antonio", "guterres", "israel", "46"}) == runs


def test_a_summit_of_an_organisation_the_seeds_never_name_is_declined(engine: Engine) -> None:
    question = "Hội nghị cấp cao ASEAN lần thứ 46 diễn ra ở đâu?"
    assert unknown_runs(parse_query(engine.index, question)) == 1
    assert not engine.ask(question).answered
    # Names the seeds hold, however rare, are no unknown name.
    assert unknown_runs(parse_query(engine.index, "Ông Gan Kim Yong là ai?")) == 0
    assert engine.ask("Ông Gan Kim Yong là ai?").answered


def test_names_and_titles_are_runs_of_capitalised_syllables() -> None:
    known = {"~bo_truong", "~cong_an", "~chu_tich", "~thu_tuong"}
    assert name_runs("Bộ trưởng Bộ Công an là ai?", known) == [("truong", "bo", "cong")]
    assert name_runs("Thu tuong Nhat Ban tham Viet Nam", known) == [
        ("tuong", "nhat", "ban"),
        ("viet", "nam"),
    ]
    # Punctuation ends a run; the first word's capital is the sentence's.
    assert name_runs("Thăm Hà Nội, Huế, Đà Nẵng", known) == [("ha", "noi"), ("da", "nang")]
    assert name_runs("Ông Soo nói gì?", known) == []


def test_a_run_is_held_only_by_a_text_writing_it_whole_within_one_phrase() -> None:
    texts = ["Bộ trưởng Bộ Ngoại giao, Bộ Công an, Bộ Công thương dự."]
    assert runs_absent([("truong", "bo", "ngoai"), ("bo", "cong", "an")], texts) == 0
    assert runs_absent([("truong", "bo", "cong")], texts) == 1
    assert runs_absent([("giao", "bo", "cong")], texts) == 1  # across the comma
    assert runs_absent([("bo", "cong")], []) == 1


@pytest.mark.parametrize(
    "question",
    [
        "Bộ trưởng Bộ Công an là ai?",
        "bo truong bo cong an la ai",
        "Thứ trưởng Bộ Công thương là ai?",
    ],
)
def test_a_title_whose_parts_the_seeds_write_apart_is_declined(
    engine: Engine, question: str
) -> None:
    """The seeds write "Bộ trưởng Bộ Ngoại giao" and "Bộ Công an" in a list of ministries,
    never "Bộ trưởng Bộ Công an": every word and pair is there, the title is not."""
    answerer = engine.answerer
    query, sentences, _ = answerer.candidates(question)
    texts = [engine.index.sentence_text(int(s)) for s in sentences]
    assert unseen_titles(query, lambda: texts) == 1
    assert not engine.ask(question).answered


@pytest.mark.parametrize(
    "question",
    [
        "Bí thư Thành ủy Đà Nẵng chủ trì cuộc họp nào?",
        "Chủ nhiệm Ủy ban Kiểm tra Trung ương là ai?",
        "Chủ tịch Ủy ban nhân dân TP. Hồ Chí Minh tên là gì?",
    ],
)
def test_a_name_the_cited_article_never_writes_is_declined(engine: Engine, question: str) -> None:
    query, sentences, _ = engine.answerer.candidates(question)
    texts = [engine.index.sentence_text(int(s)) for s in sentences]
    assert absent_names(query, lambda: texts, lambda: texts) >= 1
    assert not engine.ask(question).answered


def test_names_the_cited_article_writes_are_answered(engine: Engine) -> None:
    question = "Bộ trưởng Lê Hoài Trung yêu cầu các đơn vị coi Đại hội XIV là gì?"
    answer = engine.ask(question)
    assert answer.answered
    document = answer.sentences[0].document
    query, sentences, _ = engine.answerer.candidates(question)
    index = engine.index
    article = [
        index.sentence_text(int(s))
        for s in sentences
        if index.documents[int(index.sentence_doc[s])] == document
    ]
    assert absent_names(query, lambda: article, lambda: article) == 0
