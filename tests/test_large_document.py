"""One very large document: a question's work is bounded by a window around its candidate
sentences, not the document's size, and a long read reports that it is still going."""

from pathlib import Path

import numpy as np
import pytest

from retrieval import answerer as answerer_module
from retrieval.answerer import _units
from retrieval.engine import Engine
from retrieval.index import open_index
from retrieval.index import reading as reading_module

FILLER = "Đoạn {n} của tuyển tập ghi lại công việc thường ngày của cơ quan số {n}."
TARGET = "Ông Trần Quốc Vượng chủ trì hội nghị tổng kết ngành đường sắt năm nay."


def test_units_are_whole_short_documents_and_windows_of_long_ones() -> None:
    # Documents 0 (10 sentences), 1 (5000), 2 (10).
    sentence_doc = np.repeat(np.arange(3), [10, 5000, 10])
    first, last = _units(sentence_doc, np.array([3, 12, 2500, 2510, 4000, 5012]))
    assert list(zip(first.tolist(), last.tolist(), strict=True)) == [
        (0, 10),
        (10, 113),  # 12 +- 100, cut at the document's start
        (2400, 2611),  # 2500 and 2510 share one window
        (3900, 4101),
        (5010, 5020),
    ]


def test_answer_from_a_long_document_looks_at_a_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = [FILLER.format(n=n) for n in range(400)]
    lines[300] = TARGET
    (corpus / "tuyen-tap.txt").write_text("Tuyển tập\n\n" + "\n".join(lines), encoding="utf-8")
    (corpus / "tin.txt").write_text("Tin ngắn\n\nGiá xăng giảm 500 đồng.\n", encoding="utf-8")
    engine = Engine.open(corpus, tmp_path / "index", notice=lambda _: None)
    monkeypatch.setattr(answerer_module, "LONG_DOCUMENT", 50)
    monkeypatch.setattr(answerer_module, "WINDOW", 20)
    seen: list[int] = []
    documents = engine.answerer._documents

    def spy(query, first, last):  # type: ignore[no-untyped-def]
        seen.append(int((last - first).sum()))
        return documents(query, first, last)

    monkeypatch.setattr(engine.answerer, "_documents", spy)
    answer = engine.ask("Ai chủ trì hội nghị tổng kết ngành đường sắt?")
    assert answer.answered and answer.sentences[0].text == TARGET
    assert seen and max(seen) <= 3 * (2 * 20 + 1) + 2  # windows, not 401 sentences


def test_a_long_read_says_it_is_still_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # One sentence repeated: segmented once, read 20,000 times.
    text = "\n".join(FILLER.format(n=1) for _ in range(20000))
    (corpus / "lon.txt").write_text(f"Tuyển tập\n\n{text}\n", encoding="utf-8")
    monkeypatch.setattr(reading_module, "HEARTBEAT", 0.01)
    notices: list[str] = []
    open_index(corpus, tmp_path / "index", notice=notices.append, workers=1)
    assert any(m.startswith("indexing: still reading, 0/1 documents read, ") for m in notices)
