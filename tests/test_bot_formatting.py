"""Reply formatting: escaping and splitting under Telegram's message limit."""

from html.parser import HTMLParser
from pathlib import Path

from bot.formatting import (
    DOCUMENTS_LISTED,
    MESSAGE_LIMIT,
    Span,
    answer_lines,
    documents_lines,
    to_html,
    to_text,
)
from retrieval import Answer, Citation, Document

DOCUMENT = Document("tin", "Tin <mới> & cũ", "2026-01-01", Path("tin.txt"))


def citation(text: str, sentence_id: int = 1) -> Citation:
    return Citation(sentence_id, text, DOCUMENT, 0, len(text), 1.0)


def open_tags(part: str) -> list[str]:
    stack: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: object) -> None:
            stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            assert stack.pop() == tag

    Parser().feed(part)
    return stack


def test_document_text_is_escaped_and_cited():
    (message,) = to_html(answer_lines(Answer("q", True, [citation("A < B & C.")])))
    assert "A &lt; B &amp; C. <b>[1]</b>" in message
    assert "Tin &lt;mới&gt; &amp; cũ" in message and "01/01/2026" in message


def test_a_giant_bold_sentence_is_cut_between_words_with_tags_closed():
    giant = [[Span("Đại hội & Đảng " * 800, "b")]]
    parts = to_html(giant)
    assert len(parts) >= 3
    for part in parts:
        assert len(part) <= MESSAGE_LIMIT
        assert open_tags(part) == []
        assert part.startswith("<b>") and part.endswith("</b>")
    assert (
        "".join(p.removeprefix("<b>").removesuffix("</b>") for p in parts).split()
        == ("Đại hội &amp; Đảng " * 800).split()
    )


def test_a_long_paragraph_is_cut_between_its_sentences():
    sentences = [f"Câu số {n} nói về hội nghị đối ngoại toàn quốc." for n in range(200)]
    parts = to_html([[Span(" ".join(sentences))]], limit=1000)
    assert len(parts) > 5
    for part in parts:
        assert len(part) <= 1000
        assert part.strip().endswith(".")


def test_plain_text_has_no_markup():
    text = to_text(answer_lines(Answer("q", True, [citation("A < B & C.")])))
    assert "A < B & C. [1]" in text and "Tin <mới> & cũ" in text and "<b>" not in text


def test_a_large_corpus_lists_its_first_documents_and_counts_the_rest():
    documents = [
        Document(f"tin-{n}", f"Tin số {n}", None, Path(f"tin-{n}.txt"))
        for n in range(DOCUMENTS_LISTED + 70)
    ]
    text = to_text(documents_lines(documents))
    assert text.startswith(f"Có {DOCUMENTS_LISTED + 70} tài liệu:")
    assert f"Tin số {DOCUMENTS_LISTED - 1}" in text
    assert f"Tin số {DOCUMENTS_LISTED}" not in text
    assert text.rstrip().endswith("… và 70 tài liệu khác.")
