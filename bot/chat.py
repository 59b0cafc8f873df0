"""`hoidap chat`: the Telegram conversation in a terminal, for trying the bot without a token."""

import sys
from typing import TextIO

from bot.app import example_questions
from bot.formatting import (
    Line,
    Span,
    answer_lines,
    documents_lines,
    help_lines,
    passage_lines,
    search_lines,
    to_text,
    welcome_lines,
)
from retrieval import Answer, Engine


def _reply(engine: Engine, line: str, last: Answer | None) -> tuple[list[Line], Answer | None]:
    """The reply to one input line, and the answer that /doan refers to afterwards."""
    command, _, rest = line.partition(" ")
    rest = rest.strip()
    if command in ("/help", "/start"):
        return help_lines(in_telegram=False), last
    if command == "/tailieu":
        return documents_lines(engine.documents), last
    if command == "/timkiem":
        if not rest:
            return [[Span("Hãy viết từ khóa sau lệnh, ví dụ: /timkiem Đại hội XIV")]], last
        return search_lines(rest, engine.search(rest, 5)), last
    if command == "/doan":
        if last is None or not rest.isdigit() or not 1 <= int(rest) <= len(last.sentences):
            return [[Span("Hãy hỏi trước, rồi gõ /doan <số> với số của một trích dẫn.")]], last
        citation = last.sentences[int(rest) - 1]
        hit = engine.passage_of(citation.sentence_id)
        return passage_lines(hit, f"[{rest}]", highlight=citation), last
    answer = engine.ask(line)
    return answer_lines(answer), answer


def chat(
    engine: Engine,
    bundled_seeds: bool,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Answer the questions typed on `stdin` until /thoat or end of input."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    print(to_text(welcome_lines(example_questions(engine, [], bundled_seeds))), file=stdout)
    print(to_text(help_lines(in_telegram=False)), file=stdout)
    last: Answer | None = None
    while True:
        if interactive:
            print("\nBạn hỏi: ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line or line.strip() in ("/thoat", "/quit", "/exit"):
            return 0
        if not line.strip():
            continue
        lines, last = _reply(engine, line.strip(), last)
        print(to_text(lines), end="\n\n", file=stdout, flush=True)
