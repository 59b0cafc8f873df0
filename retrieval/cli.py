"""The `hoidap` command line for the retriever: index, search, ask, eval, cache.

`bot.cli` adds the Telegram commands to the same parser; `python -m retrieval` runs this
part alone. Arguments are checked before any work, and the heavy modules (numpy, the
index, the segmenter) are imported inside the commands, so `hoidap --help` and a mistyped
command answer at once.
"""

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retrieval.cli_input import UsageError, queries
from retrieval.cli_output import (
    NO_PASSAGES,
    hit_dict,
    print_json,
    render_answer,
    shorten,
)
from retrieval.terminal import printable
from retrieval.text_command import add_text_command

if TYPE_CHECKING:
    from retrieval.engine import Engine

EXAMPLES = """\
examples:
  hoidap ask "Ai chủ trì cuộc họp về Đại hội XIV tại Bộ Ngoại giao?"
  hoidap index --corpus ~/tai-lieu          build or refresh the index of a folder
  hoidap ask --corpus ~/tai-lieu --json "Giá xăng RON 95 giảm bao nhiêu?"
  hoidap search -k 3 "Đại hội XIV"
  hoidap ask --batch cau-hoi.txt > tra-loi.jsonl    one JSON line per question line
  hoidap chat                               try the bot's conversation in a terminal
  hoidap cache list                         indexes kept in the user cache

Exit status: 0 answered or abstained, 1 error, 2 usage or configuration, 130 interrupted."""


class _Version(argparse.Action):
    """--version, looking the version up only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print hoidap's version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("hoidap")
        except PackageNotFoundError:
            found = "(not installed)"
        print(f"hoidap {found}")
        parser.exit()


def add_corpus_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of documents: .txt .md .pdf .docx .doc .rtf .html, read recursively "
        "(default: the bundled seeds)",
    )
    parser.add_argument(
        "--index",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the index is kept: a new or empty folder, or one hoidap made "
        "(default: a folder in the user's cache, see `hoidap cache list`)",
    )
    parser.add_argument(
        "--cluster",
        default=None,
        metavar="ADDRESS",
        help="serve the sharded index on the Ray cluster at ADDRESS ('local' starts one "
        "here); default: $HOIDAP_RAY_ADDRESS, else no cluster",
    )


def _corpus(args: argparse.Namespace) -> Path:
    from retrieval.engine import DEFAULT_CORPUS

    return Path(args.corpus or DEFAULT_CORPUS)


def _notice(message: str) -> None:
    print(f"hoidap: {printable(message)}", file=sys.stderr, flush=True)


def _open(args: argparse.Namespace) -> "Engine":
    from retrieval.engine import Engine

    return Engine.open(_corpus(args), args.index, notice=_notice)


def _report_skipped(corpus: Path, indexed: set[Path], built: bool) -> None:
    """Say which corpus files are not in the index and why, at every `hoidap index`: files
    that are no regular files (never read), and, unless this run built the index and its
    readers just said so, files that could not be read."""
    from retrieval.documents import corpus_listing, read_document

    files, skipped = corpus_listing(corpus)
    for path, reason in skipped:
        logging.warning("skipping %s: %s", printable(str(path)), reason)
    if not built:
        for path in files:
            if path not in indexed:
                read_document(path, corpus)  # warns why it cannot be read


def _cmd_index(args: argparse.Namespace) -> int:
    address = os.environ.get("HOIDAP_RAY_ADDRESS")
    if args.shards is not None and args.shards < 1:
        raise UsageError("--shards must be at least 1")
    if args.shards or address:
        from retrieval.cluster import index_sharded, watch_sharded

        print(index_sharded(_corpus(args), args.index, args.shards, address))
        if args.watch:
            _notice("watching the corpus for changes (Ctrl-C stops)")
            watch_sharded(_corpus(args), args.index, address, _notice)
        return 0
    from retrieval.index import open_index

    built = False

    def notice(message: str) -> None:
        nonlocal built
        built = built or message.startswith("indexed ")
        _notice(message)

    # The maintenance command checks every file of a stored index, and fails when the
    # index cannot be saved rather than answering from memory.
    corpus = _corpus(args)
    index = open_index(corpus, args.index, notice, verify=True, must_save=True)
    _report_skipped(corpus, {d.path for d in index.live_documents}, built)
    print(
        f"{len(index.live_documents)} documents, {index.bm25.stats.n_docs} passages, "
        f"{index.n_sentences} sentences indexed"
    )
    if args.watch:
        from retrieval.index import default_index_path
        from retrieval.watch import Watcher

        # The headless writer: keeps the index current for the processes reading it.
        _notice("watching the corpus for changes (Ctrl-C stops)")
        Watcher(None, corpus, args.index or default_index_path(corpus), notice=_notice).run()
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    if args.k < 1:
        raise UsageError("-k must be 1 or more")
    lines = queries(args)
    engine = _open(args)
    for query, error in lines:
        hits = engine.search(query, k=args.k) if error is None and query.strip() else []
        if args.json or args.batch is not None:
            extra = {"error": error} if error else {}
            print_json({"query": query, "hits": [hit_dict(h) for h in hits], **extra})
            continue
        if not hits:
            print(NO_PASSAGES)
        for hit in hits:
            doc = hit.document
            print(printable(f"{hit.rank}. [{hit.score:.2f}] {doc.title} ({doc.doc_id})"))
            print(f"   {printable(shorten(hit.text, 300))}")
    return 0


def _cmd_ask(args: argparse.Namespace) -> int:
    lines = queries(args)
    engine = _open(args)
    for question, error in lines:
        if args.batch is not None and (error or not question.strip()):
            print_json(
                {
                    "question": question,
                    "answered": False,
                    "sentences": [],
                    "error": error or "empty question",
                }
            )
            continue
        answer = engine.ask(question)
        if args.json or args.batch is not None:
            print_json(answer.to_dict())
        else:
            print(printable(render_answer(answer)))
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    if not args.squad.is_file():
        raise UsageError(f"no such file: {args.squad}")
    from retrieval.baseline import SentenceBaseline
    from retrieval.engine import Engine
    from retrieval.evaluate import Answering, evaluate, format_report, squad_corpus

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


def _cmd_cache(args: argparse.Namespace) -> int:
    from retrieval.cache import cached, describe, prune

    if args.action == "list":
        entries = cached()
        for entry in entries:
            print(printable(describe(entry)))
        total = sum(entry.size for entry in entries)
        print(f"{len(entries)} folders, {total / 2**20:.1f} MB in all")
    else:
        removed = prune(everything=args.all)
        for entry in removed:
            print(printable(f"deleted {describe(entry)}"))
        print(f"{len(removed)} folders deleted, {sum(e.size for e in removed) / 2**20:.1f} MB")
    return 0


def subparser(commands: Any, name: str, help_text: str, example: str) -> Any:
    return commands.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> tuple[argparse.ArgumentParser, Any]:
    parser = argparse.ArgumentParser(
        prog="hoidap",
        description="Hỏi đáp: answers Vietnamese questions with sentences quoted from documents.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    index = subparser(
        commands,
        "index",
        "build or refresh the index of a corpus, check it, and list the files left out",
        "hoidap index --corpus ~/tai-lieu --index ~/tai-lieu-index",
    )
    add_corpus_args(index)
    index.add_argument(
        "--shards",
        type=int,
        default=None,
        metavar="N",
        help="build a sharded index of N shards for a Ray cluster (see --cluster)",
    )
    index.add_argument(
        "--watch",
        action="store_true",
        help="then keep the index current as files are added, changed or removed",
    )
    index.set_defaults(func=_cmd_index)

    for name, func, help_text, metavar, example in [
        (
            "search",
            _cmd_search,
            "list the passages that best match a query",
            "QUERY",
            'hoidap search -k 3 "giá xăng"',
        ),
        (
            "ask",
            _cmd_ask,
            "answer a question with cited sentences",
            "QUESTION",
            'hoidap ask --json "Ai chủ trì cuộc họp?"',
        ),
    ]:
        sub = subparser(commands, name, help_text, example)
        add_corpus_args(sub)
        sub.add_argument("query", nargs="?", metavar=metavar, help=f"the {metavar.lower()}")
        sub.add_argument("--json", action="store_true", help="one JSON object per query")
        sub.add_argument(
            "--batch",
            metavar="FILE",
            help="read one query per line from FILE (- for stdin); writes one JSON line per "
            "input line, with an 'error' for a line that cannot be used",
        )
        if name == "search":
            sub.add_argument("-k", type=int, default=5, help="passages to list (default 5)")
        sub.set_defaults(func=func)

    evaluation = subparser(
        commands,
        "eval",
        "measure retrieval and answers on a SQuAD-format question set",
        "hoidap eval --squad vinewsqa-dev.json --limit 200",
    )
    evaluation.add_argument(
        "--squad", type=Path, required=True, metavar="FILE", help="SQuAD-format JSON"
    )
    evaluation.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluation.add_argument("--limit", type=int, default=0, help="only the first N questions")
    evaluation.add_argument(
        "--baseline",
        action="store_true",
        help="measure the plain pyvi + rank_bm25 sentence baseline instead",
    )
    evaluation.set_defaults(func=_cmd_eval)

    cache = subparser(
        commands,
        "cache",
        "list hoidap's folders in the user cache, or delete those of vanished corpora",
        "hoidap cache prune",
    )
    cache.add_argument("action", choices=["list", "prune"], help="list, or prune")
    cache.add_argument(
        "--all", action="store_true", help="prune: delete every index, not only orphaned ones"
    )
    cache.set_defaults(func=_cmd_cache)
    add_text_command(commands, add_corpus_args)
    return parser, commands


def _error(message: str) -> None:
    print(f"hoidap: error: {printable(message)}", file=sys.stderr)


def run(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    """Parse and dispatch; user mistakes become one line on stderr, never a traceback."""
    args = parser.parse_args(argv)
    # After parsing: --help and usage errors need none of this.
    from retrieval.documents import CorpusError
    from retrieval.index.model import IndexLocationError, IndexNotSaved, IndexUnreadable

    logging.basicConfig(format="hoidap: %(levelname)s: %(message)s", level=logging.WARNING)
    if getattr(args, "cluster", None):
        # The engine reads it wherever it is opened (search, ask, chat, bot).
        os.environ["HOIDAP_RAY_ADDRESS"] = args.cluster
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UsageError as error:
        parser.print_usage(sys.stderr)
        _error(str(error))
        return 2
    except IndexLocationError as error:
        _error(str(error))
        return 2
    except (CorpusError, IndexUnreadable, IndexNotSaved) as error:
        _error(str(error))
        return 1
    except BrokenPipeError:
        # The reader (`| head`) has what it wanted; stop quietly, as Unix tools do, and keep
        # Python from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as error:
        where = f" {error.filename}:" if error.filename else ""
        _error(f"while running `hoidap {args.command}`:{where} {error.strerror or error}")
        return 1
    except KeyboardInterrupt:
        # A save in progress removes its unfinished generation: the old index stands.
        print("hoidap: interrupted; the index was left as it was", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    parser, _ = build_parser()
    return run(parser, argv)
