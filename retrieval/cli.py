"""The `hoidap` command line for the retriever: index, search, ask.

`bot.cli` adds the Telegram commands to the same parser; `python -m retrieval` runs this
part alone.
"""

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from retrieval.baseline import SentenceBaseline
from retrieval.documents import CorpusError
from retrieval.engine import DEFAULT_CORPUS, Engine
from retrieval.evaluate import Answering, evaluate, format_report, squad_corpus
from retrieval.index import IndexLocationError, IndexNotSaved, IndexUnreadable, open_index
from retrieval.results import Answer, PassageHit
from retrieval.text_command import add_text_command

NOT_FOUND = "Không tìm thấy câu trả lời trong tài liệu."


class UsageError(Exception):
    """A mistake in how the command was called (exit status 2)."""


def add_corpus_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of documents: .txt .md .pdf .docx .doc .rtf .html "
        f"(default: the bundled seeds, {DEFAULT_CORPUS})",
    )
    parser.add_argument(
        "--index",
        type=Path,
        default=None,
        metavar="PATH",
        help="where the index is kept (default: a folder in the user's cache directory)",
    )


def _open(args: argparse.Namespace) -> Engine:
    return Engine.open(args.corpus, args.index)


def _queries(args: argparse.Namespace) -> Iterator[str]:
    """The single positional query, or one query per line of --batch (- for stdin)."""
    if args.batch is None:
        if args.query is None:
            raise UsageError("give a question, or --batch FILE")
        if not args.query.strip():
            raise UsageError("the question is empty")
        yield args.query
        return
    if args.query is not None:
        raise UsageError("give either a question or --batch, not both")
    try:
        stream: TextIO = (
            sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")  # noqa: SIM115
        )
    except OSError as error:
        raise UsageError(f"cannot read {args.batch}: {error.strerror}") from error
    with stream:
        for line in stream:
            yield line.rstrip("\r\n")


def _notice(message: str) -> None:
    print(f"hoidap: {message}", file=sys.stderr, flush=True)


def _print_json(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def _hit_dict(hit: PassageHit) -> dict[str, Any]:
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


def _cmd_index(args: argparse.Namespace) -> int:
    # The maintenance command checks every file of a stored index, and fails when the
    # index cannot be saved rather than answering from memory.
    index = open_index(
        Path(args.corpus or DEFAULT_CORPUS), args.index, _notice, verify=True, must_save=True
    )
    print(
        f"{len(index.documents)} documents, {index.n_passages} passages, "
        f"{index.n_sentences} sentences indexed"
    )
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    queries = _queries(args)
    engine = _open(args)
    for query in queries:
        hits = engine.search(query, k=args.k) if query.strip() else []
        if args.json or args.batch is not None:
            _print_json({"query": query, "hits": [_hit_dict(h) for h in hits]})
            continue
        if not hits:
            print(NOT_FOUND)
        for hit in hits:
            doc = hit.document
            print(f"{hit.rank}. [{hit.score:.2f}] {doc.title} ({doc.doc_id})")
            print(f"   {_shorten(hit.text, 300)}")
    return 0


def _cmd_ask(args: argparse.Namespace) -> int:
    queries = _queries(args)
    engine = _open(args)
    for question in queries:
        if args.batch is not None and not question.strip():
            _print_json(
                {
                    "question": question,
                    "answered": False,
                    "sentences": [],
                    "error": "empty question",
                }
            )
            continue
        answer = engine.ask(question)
        if args.json or args.batch is not None:
            _print_json(answer.to_dict())
        else:
            print(render_answer(answer))
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    if not args.squad.is_file():
        raise UsageError(f"no such file: {args.squad}")
    try:
        corpus, questions = squad_corpus(args.squad)
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"{args.squad} is not a SQuAD-format JSON file ({error})") from error
    if args.limit:
        questions = questions[: args.limit]
    engine: Answering = (
        SentenceBaseline(corpus) if args.baseline else Engine.open(corpus, corpus.parent / "index")
    )
    metrics = evaluate(engine, questions, progress=lambda m: print(m, file=sys.stderr))
    print(json.dumps(metrics, indent=2) if args.json else format_report(metrics))
    return 0


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def render_answer(answer: Answer) -> str:
    """An answer as plain text: sentences with [n] markers, then the numbered sources."""
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


def build_parser() -> tuple[argparse.ArgumentParser, Any]:
    parser = argparse.ArgumentParser(
        prog="hoidap",
        description="Hỏi đáp: answers Vietnamese questions with sentences quoted from documents.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    index = commands.add_parser("index", help="build or refresh the index of a corpus")
    add_corpus_args(index)
    index.set_defaults(func=_cmd_index)

    for name, func, help_text, metavar in [
        ("search", _cmd_search, "list the passages that best match a query", "QUERY"),
        ("ask", _cmd_ask, "answer a question with cited sentences", "QUESTION"),
    ]:
        sub = commands.add_parser(name, help=help_text)
        add_corpus_args(sub)
        sub.add_argument("query", nargs="?", metavar=metavar)
        sub.add_argument("--json", action="store_true", help="one JSON object per query")
        sub.add_argument(
            "--batch",
            metavar="FILE",
            help="read one query per line from FILE (- for stdin); writes JSON lines",
        )
        if name == "search":
            sub.add_argument("-k", type=int, default=5, help="passages to list (default 5)")
        sub.set_defaults(func=func)

    evaluation = commands.add_parser(
        "eval", help="measure retrieval and answers on a SQuAD-format question set"
    )
    evaluation.add_argument("--squad", type=Path, required=True, metavar="FILE")
    evaluation.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluation.add_argument("--limit", type=int, default=0, help="only the first N questions")
    evaluation.add_argument(
        "--baseline",
        action="store_true",
        help="measure the plain pyvi + rank_bm25 sentence baseline instead",
    )
    evaluation.set_defaults(func=_cmd_eval)
    add_text_command(commands, add_corpus_args)
    return parser, commands


def run(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    """Parse and dispatch; user mistakes become one line on stderr, never a traceback."""
    logging.basicConfig(format="hoidap: %(levelname)s: %(message)s", level=logging.WARNING)
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UsageError as error:
        parser.print_usage(sys.stderr)
        print(f"hoidap: error: {error}", file=sys.stderr)
        return 2
    except IndexLocationError as error:
        print(f"hoidap: error: {error}", file=sys.stderr)
        return 2
    except (CorpusError, IndexUnreadable, IndexNotSaved) as error:
        print(f"hoidap: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader (`| head`) has what it wanted; stop quietly, as Unix tools do, and keep
        # Python from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as error:
        where = f" {error.filename}" if error.filename else ""
        print(f"hoidap: error:{where} {error.strerror or error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # A save in progress removes its unfinished generation: the old index stands.
        print("hoidap: interrupted; the index was left as it was", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    parser, _ = build_parser()
    return run(parser, argv)
