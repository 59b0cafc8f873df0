"""`hoidap text DOC_ID`: print the text a document's citations point into, so anyone can
check that `text[start:end]` is the cited sentence."""

import argparse
import sys
from typing import Any


def _cmd_text(args: argparse.Namespace) -> int:
    # Imported here: building the parser must stay light (`hoidap --help`).
    from retrieval.documents import CorpusError
    from retrieval.engine import Engine
    from retrieval.formats import Unreadable

    engine = Engine.open(args.corpus, args.index)
    try:
        text = engine.document_text(args.doc_id)
    except KeyError:
        raise CorpusError(
            f"no document {args.doc_id!r} in the index (ids are listed by `ask --json`)"
        ) from None
    except Unreadable as exc:
        raise CorpusError(f"{args.doc_id}: {exc}") from None
    # Written as is: offsets count every character, line breaks included.
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0


def add_text_command(commands: Any, add_corpus_args: Any) -> None:
    text = commands.add_parser(
        "text", help="print the extracted text that a document's citation offsets refer to"
    )
    add_corpus_args(text)
    text.add_argument("doc_id", metavar="DOC_ID", help="the doc_id of `ask --json`")
    text.set_defaults(func=_cmd_text)
