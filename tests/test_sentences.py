import itertools
from pathlib import Path

import pytest

from retrieval.sentences import line_spans, split_sentences

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_splits_after_full_stop_before_capital() -> None:
    text = "Hội nghị diễn ra tại Hà Nội. Các đại biểu đã thảo luận sôi nổi."
    assert sentences(text) == [
        "Hội nghị diễn ra tại Hà Nội.",
        "Các đại biểu đã thảo luận sôi nổi.",
    ]


def test_splits_after_question_and_exclamation_marks() -> None:
    text = "Vì sao giá xăng tăng? Bộ Công Thương giải thích! Người dân yên tâm."
    assert sentences(text) == [
        "Vì sao giá xăng tăng?",
        "Bộ Công Thương giải thích!",
        "Người dân yên tâm.",
    ]


def test_punctuation_runs_end_one_sentence() -> None:
    text = "Thật không thể tin được?! Đội tuyển đã thắng... Cả nước vỡ òa."
    assert sentences(text) == [
        "Thật không thể tin được?!",
        "Đội tuyển đã thắng...",
        "Cả nước vỡ òa.",
    ]


def test_splits_before_a_digit() -> None:
    text = "Dự án khởi công năm 2020. 15 nhà thầu đã tham gia."
    assert sentences(text) == ["Dự án khởi công năm 2020.", "15 nhà thầu đã tham gia."]


def test_no_split_before_lowercase() -> None:
    text = "Giá vàng tăng mạnh. nhưng nhiều người vẫn mua."
    assert sentences(text) == [text]


def test_ellipsis_before_lowercase_word_does_not_split() -> None:
    text = "Anh ấy ngập ngừng… rồi nói tiếp về kế hoạch."
    assert sentences(text) == [text]


def test_ellipsis_before_capital_splits() -> None:
    text = "Thành viên gồm Anh, Pháp, Đức… Hội nghị kết thúc chiều nay."
    assert sentences(text) == ["Thành viên gồm Anh, Pháp, Đức…", "Hội nghị kết thúc chiều nay."]


@pytest.mark.parametrize(
    "text",
    [
        "Kết luận số 57 ngày 15/6/2023 của Bộ Chính trị được ban hành.",
        "Trường được thành lập ngày 14-1-1976 tại Thanh Hóa.",
        "Tổng giá trị hợp đồng khoảng 286,3 triệu USD.",
        "Có 1.000.000 lượt khách tham quan triển lãm.",
        "Ảnh chụp ngày 14.12.2021 tại phòng họp Diên Hồng.",
        "Lãi suất giảm còn 4.5% từ tháng 3.",
    ],
)
def test_numbers_and_dates_stay_whole(text: str) -> None:
    assert sentences(text) == [text]


@pytest.mark.parametrize(
    "text",
    [
        "Đại biểu TP. Hồ Chí Minh phát biểu tại hội nghị.",
        "Báo cáo do PGS.TS. Nguyễn Văn An trình bày.",
        "Ông là Th.S Kinh tế, từng giảng dạy tại đây.",
        "Hội thảo có GS. Trần Văn Thọ và TS. Lê Minh Hà tham dự.",
        "Chủ trì là ThS. Phạm Thu Trang, giảng viên Học viện.",
        "Cửa hàng nằm ở Tp. Thủ Đức, gần chợ.",
        "Trụ sở đặt tại số 5, Q. 1, P. Bến Nghé.",
        "Phóng viên đã gặp Mr. Smith và Dr. Brown tại sân bay.",
        "Nhà thờ St. Joseph mở cửa đón khách.",
        "Tác giả J. K. Rowling ký tặng sách.",
        "Hàng hóa gồm gạo, cà phê, hạt điều v.v. Được xuất khẩu sang châu Âu.",
    ],
)
def test_abbreviations_do_not_end_sentences(text: str) -> None:
    assert sentences(text) == [text]


def test_dotted_name_that_is_not_an_abbreviation_ends_a_sentence() -> None:
    text = "Đoàn công tác đến TP.HCM. Sáng mai đoàn làm việc với thành phố."
    assert sentences(text) == [
        "Đoàn công tác đến TP.HCM.",
        "Sáng mai đoàn làm việc với thành phố.",
    ]


def test_quoted_speech_keeps_its_closing_quote() -> None:
    text = 'Ông nói: "Chúng tôi sẽ làm. Rất sớm." Sau đó ông rời hội trường.'
    assert sentences(text) == [
        'Ông nói: "Chúng tôi sẽ làm. Rất sớm."',
        "Sau đó ông rời hội trường.",
    ]


def test_curly_quotes_and_brackets_close_the_sentence() -> None:
    text = "Bà khẳng định: “Đây là ưu tiên hàng đầu.” Hội nghị nhất trí (với 95% tán thành.) Xong."
    assert sentences(text) == [
        "Bà khẳng định: “Đây là ưu tiên hàng đầu.”",
        "Hội nghị nhất trí (với 95% tán thành.)",
        "Xong.",
    ]


def test_sentence_may_start_with_an_opening_quote() -> None:
    text = 'Hội nghị bế mạc. "Chúng tôi hài lòng", trưởng đoàn nói.'
    assert sentences(text) == ["Hội nghị bế mạc.", '"Chúng tôi hài lòng", trưởng đoàn nói.']


def test_unbalanced_quote_does_not_block_splitting() -> None:
    text = 'Ông gọi đó là "bước ngoặt. Nhiều người đồng tình.'
    assert sentences(text) == ['Ông gọi đó là "bước ngoặt.', "Nhiều người đồng tình."]


def test_line_break_is_a_hard_boundary() -> None:
    text = "Toàn cảnh Hội nghị đối ngoại toàn quốc năm 2021\nHội nghị được kết nối trực tuyến."
    assert sentences(text) == [
        "Toàn cảnh Hội nghị đối ngoại toàn quốc năm 2021",
        "Hội nghị được kết nối trực tuyến.",
    ]


def test_crlf_and_blank_lines() -> None:
    text = "Tiêu đề bài báo\r\n\r\n  Đoạn đầu tiên. Đoạn thứ hai.  \r\n"
    assert sentences(text) == ["Tiêu đề bài báo", "Đoạn đầu tiên.", "Đoạn thứ hai."]


def test_bom_and_whitespace_are_never_part_of_a_sentence() -> None:
    text = "\ufeff\u00a0Tin nóng trong ngày\n\t \n"
    assert split_sentences(text) == [(2, 2 + len("Tin nóng trong ngày"))]


def test_lines_without_letters_or_digits_are_not_sentences() -> None:
    assert sentences("•\n...\n — \nHết.") == ["Hết."]


def test_offsets_are_relative_to_the_whole_text() -> None:
    text = "Phần bỏ qua. Câu một. Câu hai."
    start = text.index("Câu một")
    assert split_sentences(text, start) == [(start, start + 8), (start + 9, len(text))]
    assert sentences(text)[1:] == ["Câu một.", "Câu hai."]


def test_end_limits_the_region() -> None:
    text = "Câu một. Câu hai."
    assert split_sentences(text, 0, 8) == [(0, 8)]


def test_empty_text() -> None:
    assert split_sentences("") == []
    assert split_sentences("   \n\n") == []


def test_line_spans_are_stripped_and_non_empty() -> None:
    text = "  a  \r\n\nb\u2028 c"
    assert [text[s:e] for s, e in line_spans(text)] == ["a", "b", "c"]


@pytest.mark.parametrize("seed", sorted(SEEDS.iterdir()), ids=lambda path: path.name)
def test_every_seed_span_is_stripped_and_non_empty(seed: Path) -> None:
    text = seed.read_bytes().decode("utf-8")
    spans = split_sentences(text)
    assert spans
    for s, e in spans:
        assert s < e
        assert text[s:e] == text[s:e].strip()
    assert spans == sorted(spans)
    assert all(prev_end <= s for (_, prev_end), (s, _) in itertools.pairwise(spans))


def test_sentence_ending_in_an_ordinary_word_still_splits() -> None:
    text = "Bà cảm ơn ông. Ông mỉm cười rồi ra về. Chúng tôi đã ăn no. Sau đó cả nhà đi ngủ."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Bà cảm ơn ông.",
        "Ông mỉm cười rồi ra về.",
        "Chúng tôi đã ăn no.",
        "Sau đó cả nhà đi ngủ.",
    ]
