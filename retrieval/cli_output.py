"""The command line's output: answers and passages as plain text or JSON."""

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retrieval.results import Answer, PassageHit

NOT_FOUND = "Không tìm thấy câu trả lời trong tài liệu."
NO_PASSAGES = "Không có đoạn văn nào khớp với từ khóa tìm kiếm."


def print_json(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def hit_dict(hit: "PassageHit") -> dict[str, Any]:
    """One hit as `hoidap search --json` prints it (the HTTP API answers with it too)."""
    return {
        "rank": hit.rank,
        "score": hit.score,
        "doc_id": hit.document.doc_id,
        "title": hit.document.title,
        "date": hit.document.date,
        "source": str(hit.document.path),
        "format": hit.document.format,
        **({"page": hit.page} if hit.document.pages else {}),
        "passage_id": hit.passage_id,
        "start": hit.start,
        "end": hit.end,
        "text": hit.text,
    }


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def render_answer(answer: "Answer") -> str:
    """An answer as plain text: sentences with [n] markers, then the numbered sources."""
    if answer.reply:
        return answer.reply
    if not answer.answered:
        return f"{NOT_FOUND}\n{answer.hint}" if answer.hint else NOT_FOUND
    lines = [f"{c.text} [{n}]" for n, c in enumerate(answer.sentences, start=1)]
    lines += ["", "Nguồn:"]
    for n, c in enumerate(answer.sentences, start=1):
        doc = c.document
        date = f", {doc.date}" if doc.date else ""
        lines.append(f"[{n}] {doc.title}{date} — {doc.doc_id}, ký tự {c.start}–{c.end}")
        lines.append(f"    {doc.path}")
    return "\n".join(lines)
