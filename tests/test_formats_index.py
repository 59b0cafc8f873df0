"""A folder mixing every format, indexed: citations hold against the extracted text kept
with the index, PDFs cite their page, `hoidap text` prints that text."""

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from format_files import write_docx, write_html, write_pdf, write_rtf

from bot.chat import chat
from retrieval import Engine
from retrieval.formats.legacy import to_tcvn3

QUESTIONS = [
    "Hội nghị thượng đỉnh ASEAN lần thứ 44 diễn ra ở đâu?",
    "Tòa án tiếp công dân vào ngày nào?",
    "Người phát ngôn Phạm Thu Hằng cho biết Việt Nam hoan nghênh điều gì?",
    "Quý I năm 2024 Việt Nam đón bao nhiêu đoàn cấp cao?",
    "Bộ trưởng Bộ Y tế nói gì về bệnh sởi?",
]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Engine]:
    corpus = tmp_path_factory.mktemp("mixed")
    write_pdf(corpus / "bao-cao.pdf")
    write_docx(corpus / "cong-van.docx")
    write_rtf(corpus / "thong-bao.rtf")
    write_html(corpus / "hop-bao.html")
    shutil.copy(Path(__file__).parent / "data" / "cong-van.doc", corpus / "cong-van-97.doc")
    (corpus / "y-te.md").write_text(
        "# Bộ Y tế họp báo\n\nBộ trưởng **Bộ Y tế** cho biết bệnh sởi đã được kiểm soát.\n",
        encoding="utf-8",
    )
    (corpus / "cu.txt").write_bytes(
        to_tcvn3("Sở Y tế Hà Nội tiêm vắc xin sởi cho trẻ em tại các trạm y tế phường.").encode(
            "latin-1"
        )
    )
    index = tmp_path_factory.mktemp("index") / "index"
    engine = Engine.open(corpus, index, notice=lambda _: None)
    return corpus, index, engine


def test_every_format_is_indexed(mixed) -> None:  # type: ignore[no-untyped-def]
    _, _, engine = mixed
    formats = {d.doc_id: d.format for d in engine.documents}
    assert formats == {
        "bao-cao": "pdf",
        "cong-van": "docx",
        "cong-van-97": "doc",
        "thong-bao": "rtf",
        "hop-bao": "html",
        "y-te": "md",
        "cu": "txt",
    }


def test_citations_hold_against_the_kept_text(mixed) -> None:  # type: ignore[no-untyped-def]
    corpus, index, _ = mixed
    # Reopened from disk: the texts, formats and pages come from the stored index.
    engine = Engine.open(corpus, index, notice=lambda _: None)
    cited = set()
    for question in QUESTIONS:
        answer = engine.ask(question)
        for citation in answer.sentences:
            text = engine.document_text(citation.document.doc_id)
            assert text[citation.start : citation.end] == citation.text
            cited.add(citation.document.doc_id)
    assert {"bao-cao", "thong-bao", "hop-bao", "y-te"} <= cited
    # The .docx and the .doc hold the same letter: either may answer.
    assert {"cong-van", "cong-van-97"} & cited


def test_pdf_answers_carry_their_page(mixed) -> None:  # type: ignore[no-untyped-def]
    _, _, engine = mixed
    answer = engine.ask(QUESTIONS[0])
    top = answer.sentences[0]
    assert top.document.doc_id == "bao-cao"
    assert top.page == 3
    assert top.to_dict()["format"] == "pdf" and top.to_dict()["page"] == 3
    rtf = engine.ask(QUESTIONS[1]).sentences[0].to_dict()
    assert rtf["format"] == "rtf" and "page" not in rtf


def test_chat_shows_the_page_in_the_sources(mixed) -> None:  # type: ignore[no-untyped-def]
    _, _, engine = mixed
    out = io.StringIO()
    chat(engine, bundled_seeds=False, stdin=io.StringIO(QUESTIONS[0] + "\n"), stdout=out)
    assert re.search(r"bao-cao\.pdf, tr\. [0-9, ]*\b3\)", out.getvalue())


def _hoidap(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "retrieval", *args],
        capture_output=True,
        text=True,
        env={"XDG_CACHE_HOME": str(cache), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_text_command_prints_what_offsets_refer_to(mixed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus, index, _ = mixed
    common = ("--corpus", str(corpus), "--index", str(index))
    asked = _hoidap("ask", "--json", *common, QUESTIONS[0], cache=tmp_path)
    citation = json.loads(asked.stdout)["sentences"][0]
    assert (citation["format"], citation["page"]) == ("pdf", 3)
    printed = _hoidap("text", *common, citation["doc_id"], cache=tmp_path)
    assert printed.returncode == 0
    assert printed.stdout[citation["start"] : citation["end"]] == citation["text"]
    unknown = _hoidap("text", *common, "khong-co", cache=tmp_path)
    assert unknown.returncode == 1 and "no document 'khong-co'" in unknown.stderr


def test_a_page_in_another_language_does_not_crowd_out_vietnamese(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_html(
        corpus / "english.html",
        lang="en",
        paragraphs=[
            "The ASEAN Summit 44 in Vientiane gathered leaders of ASEAN member states, "
            "and ASEAN ministers met in Vientiane for the ASEAN Summit 44 again."
        ]
        * 3,
    )
    (corpus / "viet.txt").write_text(
        "Hội nghị thượng đỉnh ASEAN lần thứ 44 diễn ra tại Viêng Chăn, Lào.\n"
        "Các nhà lãnh đạo ASEAN thông qua tuyên bố chung.\n",
        encoding="utf-8",
    )
    engine = Engine.open(corpus, tmp_path / "index", notice=lambda _: None)
    languages = {d.doc_id: d.language for d in engine.documents}
    assert languages == {"english": "en", "viet": "vi"}
    # The English page is indexed and found…
    assert {h.document.doc_id for h in engine.search("ASEAN Summit Vientiane", 5)} >= {"english"}
    # …but a Vietnamese question is answered from the Vietnamese document.
    answer = engine.ask("Hội nghị thượng đỉnh ASEAN 44 diễn ra ở đâu?")
    assert answer.answered
    assert {c.document.doc_id for c in answer.sentences} == {"viet"}
