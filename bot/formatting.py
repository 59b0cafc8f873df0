"""One description of every reply, rendered as Telegram HTML or as plain terminal text.

A reply is a list of lines, a line a list of styled spans. Keeping the structure until the
last moment lets the Telegram rendering escape every piece of document or user text, and
split long replies between lines (or between sentences of an overlong line) so that no
part ever ends inside an HTML tag.
"""

import html
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from retrieval.documents import Document
from retrieval.results import Answer, Citation, PassageHit

Style = Literal["", "b", "i", "code"]

# Telegram's limit for one text message, in UTF-16 code units.
MESSAGE_LIMIT = 4096
# An archive of 150,000 articles listed whole would be thousands of messages.
DOCUMENTS_LISTED = 50

# Zero-width, so that the spaces stay with the text when pieces are joined again.
_SENTENCE_END = re.compile(r"(?<=[.!?…]\s)")
_WORD_END = re.compile(r"(?<=\s)(?=\S)")

NOT_FOUND = "Không tìm thấy câu trả lời trong tài liệu."
# A citation's document was changed or removed after the answer (see Engine.cited_passage).
CITATION_GONE = (
    "Tài liệu của trích dẫn này đã được sửa hoặc xoá sau câu trả lời nên không còn câu đó. "
    "Bạn hãy hỏi lại để có câu trả lời theo tài liệu mới nhất nhé."
)


@dataclass(frozen=True)
class Span:
    text: str
    style: Style = ""


Line = list[Span]


def _plain(text: str) -> Line:
    return [Span(text)]


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def format_date(iso: str | None) -> str | None:
    """ISO yyyy-mm-dd as Vietnamese readers write it (dd/mm/yyyy)."""
    if iso is None:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso)
    return f"{match[3]}/{match[2]}/{match[1]}" if match else iso


def _pages(pages: Sequence[int | None]) -> str | None:
    """ "tr. 3" or "tr. 3, 12" for the pages cited in a PDF; None for other formats."""
    numbers = sorted({p for p in pages if p is not None})
    return f"tr. {', '.join(map(str, numbers))}" if numbers else None


def _source_line(markers: str, document: Document, pages: Sequence[int | None] = ()) -> Line:
    details = [d for d in (format_date(document.date), document.path.name, _pages(pages)) if d]
    return [
        Span(markers, "b"),
        Span(f" {document.title} "),
        Span(f"({', '.join(details)})", "i"),
    ]


def answer_lines(answer: Answer) -> list[Line]:
    """The answer sentences marked [1], [2]…, then their sources, one line per document."""
    if answer.reply:
        return [_plain(answer.reply)]
    if not answer.answered:
        lines = [[Span(NOT_FOUND, "b")], [Span("Câu hỏi: "), Span(answer.question, "i")]]
        if answer.hint:
            lines.append(_plain(answer.hint))
        return lines

    lines: list[Line] = []
    by_document: dict[str, tuple[Document, list[str], list[int | None]]] = {}
    for number, citation in enumerate(answer.sentences, start=1):
        marker = f"[{number}]"
        lines.append([Span(citation.text + " "), Span(marker, "b")])
        if citation.context:
            # Under its own sentence and naming it: placed above, it read as belonging to
            # the citation before.
            lines.append([Span(f"(Ngữ cảnh của {marker}: {citation.context})", "i")])
        document = citation.document
        entry = by_document.setdefault(document.doc_id, (document, [], []))
        entry[1].append(marker)
        entry[2].append(citation.page)
    lines += [[], [Span("Nguồn:", "b")]]
    lines += [
        _source_line("".join(markers), doc, pages) for doc, markers, pages in by_document.values()
    ]
    return lines


def passage_lines(hit: PassageHit, label: str, highlight: Citation | None = None) -> list[Line]:
    """A passage under its label and source; the cited sentence in bold when given."""
    line: Line = [Span(hit.text)]
    if highlight is not None and highlight.text in hit.text:
        before, _, after = hit.text.partition(highlight.text)
        line = [Span(before), Span(highlight.text, "b"), Span(after)]
    return [_source_line(label, hit.document, [hit.page]), line]


def search_lines(query: str, hits: Sequence[PassageHit]) -> list[Line]:
    """The top passages for a query, each under its source."""
    if not hits:
        return [[Span("Không có đoạn văn nào khớp với "), Span(query, "i"), Span(".")]]
    lines: list[Line] = [[Span("Các đoạn văn liên quan nhất đến "), Span(query, "i"), Span(":")]]
    for hit in hits:
        lines += [[], *passage_lines(hit, f"[{hit.rank}]")]
    return lines


def documents_lines(documents: Sequence[Document]) -> list[Line]:
    """The corpus, one line per document, up to DOCUMENTS_LISTED of them."""
    lines: list[Line] = [[Span(f"Có {len(documents)} tài liệu:", "b")]]
    shown = documents[:DOCUMENTS_LISTED]
    lines += [_source_line(f"{n}.", doc) for n, doc in enumerate(shown, start=1)]
    if len(documents) > len(shown):
        lines.append([Span(f"… và {len(documents) - len(shown)} tài liệu khác.", "i")])
    return lines


def welcome_lines(examples: Iterable[str]) -> list[Line]:
    """Greeting, how to ask, and example questions taken from the corpus."""
    lines: list[Line] = [
        [Span("Xin chào! Mình là hỏi đáp", "b")],
        _plain(
            "Hãy gửi một câu hỏi bằng tiếng Việt; mình trả lời bằng những câu trích nguyên "
            "văn từ tài liệu, kèm nguồn. Nếu tài liệu không có câu trả lời, mình sẽ nói thật."
        ),
        [],
        [Span("Ví dụ:", "b")],
    ]
    lines += [[Span("• "), Span(example, "i")] for example in examples]
    return lines


def help_lines(in_telegram: bool) -> list[Line]:
    """How to use the bot (Telegram) or the terminal conversation."""
    lines: list[Line] = [
        [Span("Cách dùng", "b")],
        _plain("Gửi câu hỏi, ví dụ: Ai chủ trì cuộc họp?"),
        [Span("/hoi", "code"), Span(" <câu hỏi> — hỏi (trong nhóm)")],
        [Span("/timkiem", "code"), Span(" <từ khóa> — các đoạn văn liên quan nhất")],
        [Span("/tailieu", "code"), Span(" — danh sách tài liệu")],
    ]
    if in_telegram:
        lines += [
            _plain("Trong nhóm: nhắc đến mình (@tên) hoặc trả lời tin nhắn của mình."),
            _plain("Bấm nút dưới câu trả lời để xem đoạn văn gốc hoặc thêm kết quả."),
        ]
    else:
        lines += [
            [Span("/doan", "code"), Span(" <số> — đoạn văn quanh trích dẫn [số]")],
            [Span("/thoat", "code"), Span(" — thoát")],
        ]
    return lines


def _span_html(span: Span) -> str:
    text = html.escape(span.text, quote=False)
    return f"<{span.style}>{text}</{span.style}>" if span.style and text else text


def line_html(line: Line) -> str:
    return "".join(_span_html(span) for span in line)


def to_text(lines: Iterable[Line]) -> str:
    """Plain text for the terminal: the same lines, without markup."""
    return "\n".join("".join(span.text for span in line) for line in lines)


def _pieces(span: Span, pattern: re.Pattern[str]) -> list[Span]:
    return [Span(text, span.style) for text in pattern.split(span.text) if text]


def _cut(span: Span, limit: int) -> list[Span]:
    # Escaping grows a character to at most 5 ("&amp;"), tags add 2×6 at most.
    size = max(1, (limit - 13) // 5)
    return [Span(span.text[i : i + size], span.style) for i in range(0, len(span.text), size)]


def _fit(line: Line, limit: int) -> Iterator[str]:
    """The line as HTML pieces each within `limit`: whole if it fits, else cut between
    sentences, then between words, and only for a giant word inside it."""
    rendered = line_html(line)
    if telegram_length(rendered) <= limit:
        yield rendered
        return
    atoms: list[Span] = []
    for span in line:
        for sentence in _pieces(span, _SENTENCE_END):
            if telegram_length(_span_html(sentence)) <= limit:
                atoms.append(sentence)
                continue
            for word in _pieces(sentence, _WORD_END):
                fits = telegram_length(_span_html(word)) <= limit
                atoms.extend([word] if fits else _cut(word, limit))
    # Pack the atoms greedily, merging neighbours of one style into a single tag.
    current: Line = []
    size = 0
    for atom in atoms:
        same_style = bool(current) and current[-1].style == atom.style
        growth = telegram_length(
            html.escape(atom.text, quote=False) if same_style else _span_html(atom)
        )
        if current and size + growth > limit:
            yield line_html(current)
            current, size, same_style = [], 0, False
            growth = telegram_length(_span_html(atom))
        if same_style:
            current[-1] = Span(current[-1].text + atom.text, atom.style)
        else:
            current.append(atom)
        size += growth
    if current:
        yield line_html(current)


def to_html(lines: Iterable[Line], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Telegram HTML messages, each within `limit`, split only between lines or sentences."""
    parts: list[str] = []
    current: list[str] = []
    for line in lines:
        for piece in _fit(line, limit):
            candidate = "\n".join([*current, piece])
            if current and telegram_length(candidate.strip()) > limit:
                parts.append("\n".join(current))
                current = []
            current.append(piece)
    parts.append("\n".join(current))
    return [part.strip() for part in parts if part.strip()]
