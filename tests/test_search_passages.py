"""Engine.search's passages read their text in one piece (offsets and bytes at once) and
keep recent documents decoded: the same text as its sentences read one by one and the same
document, in a stored index and in a live one whose arrays are the segments' laid end to
end."""

import shutil
from pathlib import Path

import pytest

from retrieval import Engine
from retrieval.index import IndexWriter, merging, open_index

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
QUESTIONS = ["Ai chủ trì cuộc họp?", "con meo leo cay gi", "Đại hội XIV", "ngày 31/12"]


def quiet(_: str) -> None:
    pass


def sentences_joined(engine: Engine, passage: int) -> str:
    index = engine.index
    first, last = (int(i) for i in index.passage_sentence_ptr[passage : passage + 2])
    return " ".join(index.sentence_text(i) for i in range(first, last))


def test_passage_texts_are_their_sentences(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(merging, "RECENT_SHARE", 10.0)  # keep the new segment apart
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    path = tmp_path / "index"
    stored = Engine(open_index(corpus, path, notice=quiet))
    (corpus / "meo.txt").write_text(
        "Mèo Mướp\n\nSáng nay, con mèo Mướp đã leo lên cây xoài. Cứu hộ mất hai giờ.\n",
        encoding="utf-8",
    )
    with IndexWriter(corpus, path, notice=quiet) as writer:
        writer.update()
        live = Engine(open_index(corpus, path, notice=quiet))
    assert len(live.index.segments) > 1
    found = 0
    for engine in (stored, live):
        for question in QUESTIONS:
            for hit in engine.search(question, k=10):
                assert hit.text == sentences_joined(engine, hit.passage_id)
                first = int(engine.index.passage_sentence_ptr[hit.passage_id])
                assert hit.document == engine.index.documents[int(engine.index.sentence_doc[first])]
                found += 1
    assert found > 20
