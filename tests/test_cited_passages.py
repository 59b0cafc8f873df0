"""A citation of an earlier answer is shown in context from the index as it is now: found
by its file and offsets, since merges move sentence ids, and refused (in Vietnamese) once
its document was changed or removed, so a button never shows another passage or a deleted
document."""

from pathlib import Path

import pytest
from live_corpus import CAT, CAT_TEXT, quiet, seeds_without_merges

from bot.formatting import CITATION_GONE
from retrieval import Engine
from retrieval.index import IndexWriter, merging, open_index
from retrieval.results import Citation

# Fixtures (telegram, start_bot) come from the fake Bot API server module.
pytest_plugins = ["bot_fixtures"]

# The first document in index order: removing it moves every later sentence id at a merge.
FIRST = "000_a161d4bec09452eb.txt"


@pytest.fixture
def writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> IndexWriter:
    """The seeds, then the cat's article in a recent segment (merges held off)."""
    corpus = seeds_without_merges(tmp_path, monkeypatch)
    path = tmp_path / "index"
    open_index(corpus, path, notice=quiet)
    (corpus / "meo.txt").write_text(CAT_TEXT.format(name="Mướp"), encoding="utf-8")
    with IndexWriter(corpus, path, notice=quiet) as writer:
        writer.update()
        yield writer


def cat_citation(engine: Engine) -> Citation:
    citation = next(c for c in engine.ask(CAT).sentences if c.document.doc_id == "meo")
    assert "Mướp" in citation.text
    return citation


def merge_moving_ids(writer: IndexWriter, monkeypatch: pytest.MonkeyPatch) -> None:
    """Add a long document after the cat's, remove the first document and merge
    everything: every later sentence id moves, the cat's onto the long document."""
    lines = [f"Câu thứ {n} của bản tin về mùa lúa năm nay ở đồng bằng." for n in range(200)]
    (writer.corpus / "sau.txt").write_text("Mùa lúa\n\n" + " ".join(lines), encoding="utf-8")
    writer.update()
    (writer.corpus / FIRST).unlink()
    writer.update()
    monkeypatch.setattr(merging, "MAX_RECENT", 0)
    monkeypatch.setattr(merging, "RECENT_SHARE", 0.0)
    assert writer.merge()
    assert len(writer.index.segments) == 1


def test_a_citation_is_found_after_a_merge_moved_its_id(
    writer: IndexWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Engine(writer.index)
    citation = cat_citation(engine)
    merge_moving_ids(writer, monkeypatch)
    engine.swap(writer.index)
    # The old id now names another sentence: showing it would show the wrong passage.
    assert engine.passage_of(citation.sentence_id).document.doc_id == "sau"
    hit = engine.cited_passage(citation)
    assert hit is not None and hit.holds(citation)
    text = citation.document.path.read_text(encoding="utf-8")
    assert text[citation.start : citation.end] == citation.text
    assert citation.text in text[hit.start : hit.end]


def test_a_citation_of_a_changed_or_removed_document_is_refused(writer: IndexWriter) -> None:
    engine = Engine(writer.index)
    citation = cat_citation(engine)
    cat = writer.corpus / "meo.txt"
    # Changed after the cited sentence only: the sentence is still in the file, as quoted.
    cat.write_text(CAT_TEXT.format(name="Mướp") + "Nó không sao.\n", encoding="utf-8")
    writer.update()
    engine.swap(writer.index)
    hit = engine.cited_passage(citation)
    assert hit is not None and hit.holds(citation)
    # Changed in the cited sentence: the quote is no longer the file's.
    cat.write_text(CAT_TEXT.format(name="Vàng"), encoding="utf-8")
    writer.update()
    engine.swap(writer.index)
    assert engine.cited_passage(citation) is None
    cat.write_text(CAT_TEXT.format(name="Mướp"), encoding="utf-8")
    writer.update()
    engine.swap(writer.index)
    assert engine.cited_passage(citation) is not None
    cat.unlink()
    writer.update()
    engine.swap(writer.index)
    assert engine.cited_passage(citation) is None


def buttons(params: dict) -> list[dict]:
    return [b for row in params["reply_markup"]["inline_keyboard"] for b in row]


def bot_message(sent: dict) -> dict:
    return {
        "message_id": 5000,
        "date": 0,
        "chat": {"id": int(sent["chat_id"]), "type": "private", "first_name": "Lan"},
        "text": sent["text"],
        "reply_markup": sent["reply_markup"],
    }


async def press(telegram, answer: dict, label: str) -> dict:
    """The message the bot sends when the button `label` under `answer` is pressed."""
    sent = len(telegram.sent("sendMessage"))
    button = next(b for b in buttons(answer) if label in b["text"])
    telegram.callback(button["callback_data"], message=bot_message(answer))
    return (await telegram.wait_for(count=sent + 1))[-1]


async def test_passage_button_after_a_merge_and_after_a_removal(
    telegram, start_bot, writer: IndexWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Engine(writer.index)
    async with start_bot(corpus_engine=engine):
        telegram.message(CAT)
        (answer,) = await telegram.wait_for()
        label = f"[{1 + [c.document.doc_id for c in engine.ask(CAT).sentences].index('meo')}]"
        assert "con mèo tên Mướp" in answer["text"]
        # Merged between the answer and the press: the ids the answer holds moved.
        merge_moving_ids(writer, monkeypatch)
        engine.swap(writer.index)
        shown = await press(telegram, answer, label)
        assert "<b>Sáng nay, con mèo tên Mướp đã leo lên cây xoài" in shown["text"]
        assert "meo.txt" in shown["text"]
        (writer.corpus / "meo.txt").unlink()
        writer.update()
        engine.swap(writer.index)
        shown = await press(telegram, answer, label)
    assert shown["text"] == CITATION_GONE
