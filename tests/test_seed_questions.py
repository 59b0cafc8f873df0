"""Questions about the bundled seed articles, answered end to end through the public API:
as written, typed without diacritics, typed the many ways people type, and out of scope."""

import json
from pathlib import Path

import pytest

from retrieval import Engine
from retrieval.normalize import fold
from retrieval.query import parse_query

DATA = Path(__file__).parent / "data"
QUESTIONS = json.loads((DATA / "seed_questions.json").read_text("utf-8"))
ANSWERABLE = QUESTIONS["answerable"]
OUT_OF_SCOPE = list(
    dict.fromkeys(
        (DATA / "out_of_scope_questions.txt").read_text("utf-8").splitlines()
        + QUESTIONS["unanswerable"]
    )
)


def _hits(engine: Engine, question: str, expect: list[str]) -> list[bool]:
    return [any(e in c.text for e in expect) for c in engine.ask(question).sentences]


def _hit_at_1(engine: Engine, typed: bool) -> float:
    asked = [(fold(i["question"]) if typed else i["question"], i["expect"]) for i in ANSWERABLE]
    return sum(_hits(engine, q, expect)[:1] == [True] for q, expect in asked) / len(asked)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return Engine.open(index=tmp_path_factory.mktemp("index") / "seeds")


def test_meeting_chair_is_cited_with_offsets_that_hold(engine: Engine) -> None:
    answer = engine.ask(
        "Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV tại Bộ Ngoại giao?"
    )
    assert answer.answered
    first = answer.sentences[0]
    assert "Lê Hoài Trung" in first.text and "chủ trì cuộc họp" in first.text
    file_text = first.document.path.read_bytes().decode("utf-8")
    assert file_text[first.start : first.end] == first.text
    assert first.document.doc_id == "000_a161d4bec09452eb"


def test_every_citation_quotes_its_file_verbatim(engine: Engine) -> None:
    for item in ANSWERABLE:
        for c in engine.ask(item["question"]).sentences:
            assert c.document.path.read_bytes().decode("utf-8")[c.start : c.end] == c.text


def test_most_seed_questions_are_answered_by_the_first_sentence(engine: Engine) -> None:
    assert _hit_at_1(engine, typed=False) >= 0.8


def test_questions_typed_without_diacritics_do_almost_as_well(engine: Engine) -> None:
    assert _hit_at_1(engine, typed=True) >= _hit_at_1(engine, typed=False) - 0.05


@pytest.mark.parametrize("typed", [False, True], ids=["diacritics", "no-diacritics"])
def test_every_seed_question_is_answered_within_three_sentences(
    engine: Engine, typed: bool
) -> None:
    missed = [
        item["question"]
        for item in ANSWERABLE
        if not any(
            _hits(engine, fold(item["question"]) if typed else item["question"], item["expect"])
        )
    ]
    assert len(missed) <= 0.1 * len(ANSWERABLE), missed


@pytest.mark.parametrize("item", QUESTIONS["variants"], ids=lambda item: item["question"])
def test_questions_typed_as_people_type_them_find_the_answer(engine: Engine, item: dict) -> None:
    assert any(_hits(engine, item["question"], item["expect"]))


@pytest.mark.parametrize("item", QUESTIONS["expansions"], ids=lambda item: item["question"])
def test_other_spellings_count_as_the_same_word(engine: Engine, item: dict) -> None:
    """ "Đại hội 14" holds the word of "Đại hội XIV", "BNG" that of "Bộ Ngoại giao" (the
    seeds never write "BNG": there the group is the long form alone)."""
    vocab = engine.index.vocab
    ids = {vocab[form] for form in item["forms"] if form in vocab}
    assert ids
    assert any(ids <= set(group) for group in parse_query(engine.index, item["question"]).groups)


def test_out_of_scope_questions_are_abstained_with_a_hint(engine: Engine) -> None:
    answered = [q for q in OUT_OF_SCOPE if engine.ask(q).answered]
    assert len(answered) <= 0.1 * len(OUT_OF_SCOPE), answered
    for question in OUT_OF_SCOPE[:10]:
        answer = engine.ask(question)
        assert answer.sentences == [] and answer.hint


def test_answerable_questions_are_answered(engine: Engine) -> None:
    asked = [i["question"] for i in ANSWERABLE] + [fold(i["question"]) for i in ANSWERABLE]
    assert sum(engine.ask(q).answered for q in asked) >= 0.95 * len(asked)
