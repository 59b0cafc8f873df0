"""When the answerer says "not found": questions the documents cannot answer get a hint
instead of a loosely related sentence, while questions they can answer still get one."""

from collections.abc import Callable
from pathlib import Path

import pytest

from retrieval import Engine
from retrieval.normalize import fold

HELD_OUT = (Path(__file__).parent / "data" / "out_of_scope_held_out.txt").read_text("utf-8")

# Health news where the everyday words of off-topic questions ("giá", "hôm nay", "Hà Nội",
# "bao nhiêu") all occur.
ARTICLES = {
    "sot.txt": "Sốt xuất huyết tăng mạnh tại Hà Nội.\n\n"
    "Hôm nay Bệnh viện Bạch Mai tiếp nhận 300 bệnh nhân sốt xuất huyết. "
    "Người dân cần diệt lăng quăng, bọ gậy quanh nhà. "
    "Muỗi vằn là vật trung gian truyền bệnh.\n",
    "thuoc.txt": "Giá thuốc tăng ở nhiều nhà thuốc.\n\n"
    "Giá nhiều loại thuốc hạ sốt đã tăng gấp đôi trong tháng qua. "
    "Sở Y tế Hà Nội đề nghị các nhà thuốc niêm yết giá công khai.\n",
    "tiem.txt": "Tiêm vắc xin cúm cho người cao tuổi.\n\n"
    "Người cao tuổi nên tiêm vắc xin cúm mỗi năm. "
    "Trạm y tế phường mở cửa cả cuối tuần.\n",
}


@pytest.fixture(scope="module")
def health(engine_over: Callable[[dict[str, str]], Engine]) -> Engine:
    return engine_over(ARTICLES)


@pytest.mark.parametrize(
    "question",
    [
        "Giá vàng ở Hà Nội hôm nay bao nhiêu?",
        "Hôm nay Hà Nội có mưa không?",
        "gia vang ha noi hom nay bao nhieu",
        "What is the price of medicine in Hanoi today?",
    ],
)
def test_off_topic_question_sharing_everyday_words_is_not_answered(
    health: Engine, question: str
) -> None:
    answer = health.ask(question)
    assert not answer.answered and answer.sentences == [] and answer.hint


@pytest.mark.parametrize(
    "question",
    [
        "Bệnh viện Bạch Mai tiếp nhận bao nhiêu bệnh nhân sốt xuất huyết?",
        "Người cao tuổi nên tiêm vắc xin gì?",
        "Giá thuốc hạ sốt tăng bao nhiêu?",
    ],
)
@pytest.mark.parametrize("typed", [False, True], ids=["diacritics", "no-diacritics"])
def test_question_the_documents_answer_is_answered(
    health: Engine, question: str, typed: bool
) -> None:
    assert health.ask(fold(question) if typed else question).answered


def test_held_out_off_topic_questions_are_not_answered_from_the_seeds() -> None:
    """100 off-topic questions (weather, prices, sport, celebrities, recipes, travel, tech
    support, English, French, greetings, gibberish) written apart from the calibration set."""
    engine = Engine.open(notice=lambda _: None)
    questions = HELD_OUT.splitlines()
    answered = [q for q in questions if engine.ask(q).answered]
    assert len(answered) <= 0.1 * len(questions), answered
