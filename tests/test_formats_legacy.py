"""TCVN3 and VNI text converted to Unicode, and proper Unicode never touched."""

import unicodedata
from pathlib import Path

import pytest

from retrieval.documents import read_document
from retrieval.formats.legacy import TCVN3, VNI, convert, from_tcvn3, from_vni, to_tcvn3, to_vni

SEEDS = sorted(Path(__file__).resolve().parent.parent.joinpath("seeds").glob("*.txt"))

_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
LETTERS = [unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES] + ["đ"]


def test_tables_cover_every_vietnamese_letter() -> None:
    lower = {letter for letter in LETTERS if not letter.isascii()}
    assert lower <= set(TCVN3.values())
    assert lower | {c.upper() for c in lower} <= set(VNI.values())


def test_known_code_points_of_the_published_tables() -> None:
    # TCVN 5712:1993 VN3: à B5, á B8, ạ B9, đ AE, ư AD, ộ E9, Đ A7, Ư A6.
    assert {chr(b): TCVN3[chr(b)] for b in (0xB5, 0xB8, 0xB9, 0xAE, 0xAD, 0xE9, 0xA7, 0xA6)} == {
        "µ": "à", "¸": "á", "¹": "ạ", "®": "đ", "\xad": "ư", "é": "ộ", "§": "Đ", "¦": "Ư"
    }  # fmt: skip
    # VNI: the base letter then its mark: ộ = o + E4, à = a + F8, ư = F6, đ = F1.
    assert from_vni("oä aø ö ñ OÄ") == "ộ à ư đ Ộ"


def test_every_letter_round_trips() -> None:
    for letter in LETTERS:
        assert from_tcvn3(to_tcvn3(letter)) == letter
        for case in (letter, letter.upper()):
            assert from_vni(to_vni(case)) == case


def test_the_issues_examples() -> None:
    assert convert("Bé Ngo¹i giao") == ("Bộ Ngoại giao", "TCVN3")
    assert convert("COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM") == (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "VNI",
    )
    # .VnTimeH headings: upper-case words come back upper case.
    assert convert(to_tcvn3("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"))[0] == (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    )


@pytest.mark.parametrize("seed", SEEDS[:8], ids=lambda p: p.name)
def test_seeds_encoded_in_either_table_come_back(seed: Path) -> None:
    text = unicodedata.normalize("NFC", seed.read_text(encoding="utf-8"))
    for encode, name in ((to_tcvn3, "TCVN3"), (to_vni, "VNI")):
        back, found = convert(encode(text))
        assert found == name
        # Upper-case toned letters have no TCVN3 codes: compare ignoring case there.
        assert back.lower() == text.lower() if name == "TCVN3" else back == text


def test_unicode_text_is_never_changed() -> None:
    for seed in SEEDS:
        text = seed.read_text(encoding="utf-8")
        assert convert(text) == (text, None), seed.name
    for text in ("Tôi là Nam.", "Café à la crème brûlée", "Hà Nội", "Sổ tay", "ÔNG BÀ"):
        assert convert(text) == (text, None)


def test_legacy_text_files_are_read_as_unicode(tmp_path: Path) -> None:
    seed = SEEDS[0]
    unicode_doc = read_document(seed, seed.parent)
    assert unicode_doc is not None
    text = seed.read_text(encoding="utf-8")
    path = tmp_path / "cu.txt"
    path.write_bytes(to_vni(text).encode("latin-1"))
    legacy_doc = read_document(path, tmp_path)
    assert legacy_doc is not None and legacy_doc.text == unicodedata.normalize("NFC", text)
    assert [s.text for s in legacy_doc.sentences] == [s.text for s in unicode_doc.sentences]
