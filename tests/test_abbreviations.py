"""Abbreviations: the bundled table and the pairs a corpus defines in parentheses."""

from retrieval.abbreviations import common, defined_abbreviations


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
