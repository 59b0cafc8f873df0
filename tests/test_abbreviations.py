"""Abbreviations: the bundled table and the pairs a corpus defines in parentheses."""

from pathlib import Path

from retrieval.abbreviations import common, defined_abbreviations
from retrieval.index import load_index, open_index


def test_the_table_holds_both_meanings_of_an_ambiguous_abbreviation() -> None:
    assert common()["dh"] == ("Đại hội", "Đại học")
    assert common()["bng"] == ("Bộ Ngoại giao",)
    assert common()["ldtbxh"] == common()["LĐTBXH".lower().replace("đ", "d")]


def test_a_long_name_followed_by_its_short_form_defines_a_pair() -> None:
    found = defined_abbreviations(
        [
            "Sáng 13-1, Thủ tướng, Trưởng Ban Chỉ đạo Trung ương về chính sách nhà ở và "
            "thị trường bất động sản (Ban Chỉ đạo) chủ trì phiên họp.",
            "Đại diện Bộ Lao động - Thương binh và Xã hội (LĐTBXH) cho biết.",
        ]
    )
    assert found == {
        "Ban Chỉ đạo": "Ban Chỉ đạo Trung ương về chính sách nhà ở và thị trường bất động sản",
        "LĐTBXH": "Lao động - Thương binh và Xã hội",
    }


def test_parentheses_that_do_not_abbreviate_define_nothing() -> None:
    assert (
        defined_abbreviations(
            [
                "Bệnh viện Bạch Mai (Hà Nội) tiếp nhận bệnh nhân.",
                "Tổ chức Y tế Thế giới (WHO) khuyến cáo.",
                "Giá vàng tăng (theo số liệu mới nhất).",
                "Bác sĩ Bệnh viện Coventry (Anh), các bác sĩ Bệnh viện Đại học (Anh) cho biết.",
            ]
        )
        == {}
    )


def test_the_index_keeps_the_pairs_its_corpus_defines(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "hop.txt").write_text(
        "Phiên họp Ban Chỉ đạo\n\nSáng 13-1, Thủ tướng chủ trì phiên họp thứ 5 Ban Chỉ đạo "
        "Trung ương về chính sách nhà ở và thị trường bất động sản (Ban Chỉ đạo).\n",
        encoding="utf-8",
    )
    open_index(corpus, tmp_path / "index", notice=lambda _: None)
    loaded = load_index(tmp_path / "index")
    assert loaded.abbreviations == {
        "Ban Chỉ đạo": "Ban Chỉ đạo Trung ương về chính sách nhà ở và thị trường bất động sản"
    }
