"""What the answerer quotes first: of two articles with the same sentence-level match, the
one about the question's topic; for a "why" question, the sentence that gives a cause."""

from collections.abc import Callable
from pathlib import Path

import pytest

from retrieval import Engine
from retrieval.normalize import fold

ARTICLES = {
    "soi.txt": "Dịch sởi bùng phát ở nhiều tỉnh phía Bắc.\n\n"
    "Số ca mắc sởi tăng mạnh trong tháng qua, chủ yếu là trẻ chưa tiêm vắc xin. "
    "Các chuyên gia khuyến cáo phụ huynh đưa trẻ đi tiêm phòng sởi đúng lịch. "
    "Trẻ mắc sởi thường sốt cao, phát ban và viêm kết mạc.\n\n"
    "Bệnh viện Bạch Mai đã tiếp nhận 120 bệnh nhân trong tuần này. "
    "Nhiều bệnh nhân phải thở máy. Bộ Y tế đã cử đoàn công tác xuống kiểm tra.\n",
    "sot.txt": "Sốt xuất huyết tăng mạnh tại Hà Nội.\n\n"
    "Bệnh viện Bạch Mai tiếp nhận 300 bệnh nhân sốt xuất huyết. "
    "Người dân cần diệt lăng quăng, bọ gậy quanh nhà. "
    "Muỗi vằn là vật trung gian truyền bệnh.\n\n"
    "Chưa có vắc xin phòng bệnh này cho người lớn. "
    "Người bệnh không nên tự ý truyền dịch tại nhà. "
    "Khi sốt cao liên tục cần đến cơ sở y tế ngay.\n",
    "than.txt": "Bệnh viện Chợ Rẫy ghép thận thành công.\n\n"
    "Các bác sĩ đã ghép thận cho một bệnh nhân 40 tuổi. Ca phẫu thuật kéo dài sáu giờ. "
    "Bệnh nhân đã hồi phục tốt.\n",
    "cum.txt": "Tiêm vắc xin cúm cho người cao tuổi.\n\n"
    "Người cao tuổi nên tiêm vắc xin cúm mỗi năm. Bệnh nhân tiểu đường cũng cần tiêm phòng. "
    "Trạm y tế phường mở cửa cả cuối tuần.\n",
    "rau.txt": "Ăn nhiều rau xanh giúp giảm cân.\n\n"
    "Chuyên gia dinh dưỡng khuyên ăn rau xanh mỗi bữa. Hạn chế đồ ngọt và nước có ga. "
    "Bệnh viện Dinh dưỡng tư vấn miễn phí cho người dân.\n",
    "tim.txt": "Tập thể dục buổi sáng tốt cho tim mạch.\n\n"
    "Đi bộ ba mươi phút mỗi ngày giúp giảm huyết áp. "
    "Người bệnh tim nên hỏi bác sĩ trước khi tập. "
    "Bệnh nhân cao huyết áp cần uống thuốc đều đặn.\n",
}
QUESTION = "Bệnh viện Bạch Mai tiếp nhận bao nhiêu bệnh nhân sởi?"


@pytest.fixture(scope="module")
def engine(engine_over: Callable[[dict[str, str]], Engine]) -> Engine:
    return engine_over(ARTICLES)


@pytest.mark.parametrize("question", [QUESTION, fold(QUESTION)])
def test_topic_named_elsewhere_in_the_article_picks_the_article(
    engine: Engine, question: str
) -> None:
    # "sởi" is not in the answer's sentence nor its passage, only elsewhere in its article;
    # the other article's sentence matches the rest of the question just as well.
    answer = engine.ask(question)
    assert answer.answered
    first = answer.sentences[0]
    assert "120 bệnh nhân" in first.text
    assert Path(first.document.path).name == "soi.txt"


def test_why_question_prefers_the_sentence_that_gives_a_cause(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "Ngộ độc thực phẩm ở Quảng Nam.\n\n"
        "Ba người nhập viện cấp cứu sau bữa tiệc cưới tại Quảng Nam. "
        "Ba người nhập viện do ăn nấm độc hái trong rừng. "
        "Sức khỏe của ba người đã ổn định.\n",
        encoding="utf-8",
    )
    engine = Engine.open(corpus, tmp_path / "index", notice=lambda _: None)
    answer = engine.ask("Vì sao ba người nhập viện?")
    assert "nấm độc" in answer.sentences[0].text


def test_sentences_with_nothing_of_the_question_are_not_cited_as_padding(
    engine_over: Callable[[dict[str, str]], Engine],
) -> None:
    """The whole article is one passage here: the headline and "Gió nhẹ." hold none of the
    question's words and are left out; "Độ ẩm cao." leans on the answer before it."""
    engine = engine_over(
        {
            "thoitiet.txt": "Thời tiết.\n\n"
            "Sáng nay trời nắng, chiều có mưa rào. Độ ẩm cao. Gió nhẹ.\n",
            "giaxang.txt": "Giá xăng.\n\nGiá xăng giảm nhẹ chiều nay. Dầu diesel đứng giá.\n",
        }
    )
    answer = engine.ask("Chiều nay có mưa rào không?")
    assert [c.text for c in answer.sentences][:1] == ["Sáng nay trời nắng, chiều có mưa rào."]
    cited = {c.text for c in answer.sentences}
    assert not cited & {"Thời tiết.", "Gió nhẹ.", "Giá xăng.", "Dầu diesel đứng giá."}


def test_a_sentence_far_below_the_first_is_not_cited(tmp_path: Path) -> None:
    """Over the seeds, the IAEA question's third candidate scores more than PADDING_GAP
    below the first: two sentences are cited, the answer first."""
    engine = Engine.open(index=tmp_path / "index", notice=lambda _: None)
    answer = engine.ask("Việt Nam là thành viên Hội đồng Thống đốc IAEA nhiệm kỳ nào?")
    assert len(answer.sentences) == 2 and "2021-2023" in answer.sentences[0].text


def test_scores_stay_bounded_where_every_word_is_in_most_passages(
    engine_over: Callable[[dict[str, str]], Engine],
) -> None:
    """Three near-identical articles: most words have a negative idf. The one naming
    "Cường" is cited first, with an ordinary score (the echo weight divided by a sum of
    idf near zero once made it 4e9)."""
    text = "Tin {n}\n\nBộ trưởng Nguyễn Văn {n} chủ trì họp báo về giá xăng dầu tháng {n}.\n"
    engine = engine_over({f"{n}.txt": text.format(n=n) for n in ("An", "Bình", "Cường")})
    answer = engine.ask("Nguyễn Văn Cường chủ trì họp báo về gì?")
    assert answer.sentences[0].document.doc_id == "Cường"
    assert all(abs(c.score) < 20 for c in answer.sentences)
