"""`hoidap serve`'s command-line options; the server itself is imported when it runs, so
`hoidap ask` and `hoidap --help` do not pay for pydantic, FastAPI or the engine."""

import argparse
from collections.abc import Callable


def _serve(args: argparse.Namespace) -> int:
    from service.run import serve

    return serve(args)


def add_serve_command(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
    add_corpus_args: Callable[[argparse.ArgumentParser], None],
) -> None:
    parser = commands.add_parser(
        "serve",
        help="run the HTTP API and its web page (settings from the environment and .env)",
    )
    add_corpus_args(parser)
    parser.add_argument("--host", default=None, help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="listen port (default 8080)")
    parser.add_argument(
        "--bot",
        action="store_true",
        help="also run the Telegram bot in this process, over the same loaded index",
    )
    parser.set_defaults(func=_serve)
