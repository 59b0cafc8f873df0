"""`hoidap chat`: the Telegram conversation in a terminal, for trying the bot without a token."""

import sys
from typing import TextIO

from bot.app import example_questions
from bot.formatting import (
    CITATION_GONE,
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
from retrieval.terminal import printable


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
        if last is None or not last.sentences:
            return [[Span("Hãy hỏi trước, rồi gõ /doan <số> với số của một trích dẫn.")]], last
        count = len(last.sentences)
        if not rest.isdigit() or not 1 <= int(rest) <= count:
            numbers = "/doan 1" if count == 1 else f"từ /doan 1 đến /doan {count}"
            return [[Span(f"Câu trả lời vừa rồi có {count} trích dẫn: gõ {numbers}.")]], last
        citation = last.sentences[int(rest) - 1]
        hit = engine.cited_passage(citation)
        if hit is None:
            return [[Span(CITATION_GONE)]], last
        return passage_lines(hit, f"[{rest}]", highlight=citation), last
    if command.startswith("/"):
        return [[Span(f"Không có lệnh {command}. Gõ /help để xem các lệnh.")]], last
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
    # At a terminal, input() goes through readline: arrow keys edit the line, up and down
    # recall this session's questions (kept in memory only, never written to disk).
    interactive = stdin is sys.stdin and stdout is sys.stdout and stdin.isatty()
    if interactive:
        import readline  # noqa: F401 - importing it gives input() line editing and history
    print(
        printable(to_text(welcome_lines(example_questions(engine, [], bundled_seeds)))), file=stdout
    )
    print(printable(to_text(help_lines(in_telegram=False))), file=stdout)
    last: Answer | None = None
    while True:
        try:
            line = input("\nBạn hỏi: ") if interactive else stdin.readline()
        except EOFError:
            line = ""
        except KeyboardInterrupt:
            if not interactive:
                raise
            continue  # Ctrl-C drops the line being typed, as in a shell
        if not line or line.strip() in ("/thoat", "/quit", "/exit"):
            return 0
        if not line.strip():
            continue
        lines, last = _reply(engine, line.strip(), last)
        print(printable(to_text(lines)), end="\n\n", file=stdout, flush=True)
