"""The `hoidap` command: the retriever's subcommands plus `bot` and `chat`."""

import argparse
import sys
from typing import TYPE_CHECKING

from retrieval.cli import add_corpus_args, build_parser, run, subparser
from service.command import add_serve_command

if TYPE_CHECKING:
    from retrieval.watch import WatchThread

# The Telegram stack and the engine are imported by the commands that use them: `hoidap
# ask` and `hoidap --help` must not pay for python-telegram-bot and pydantic.


def _cmd_bot(args: argparse.Namespace) -> int:
    from bot.app import configure_logging, serve
    from bot.config import SettingsError, load_settings
    from retrieval import Engine

    overrides = {name: getattr(args, name) for name in ("corpus", "index")}
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as error:
        print(f"hoidap: error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    engine = Engine.open(settings.corpus, settings.index)
    # New, changed and removed documents are answered from within seconds, no restart.
    watcher = engine.watch()
    try:
        return serve(settings, engine)
    finally:
        _stop(watcher)


def _cmd_chat(args: argparse.Namespace) -> int:
    from bot.chat import chat
    from retrieval import Engine

    engine = Engine.open(args.corpus, args.index)
    watcher = engine.watch()
    try:
        return chat(engine, bundled_seeds=args.corpus is None)
    finally:
        _stop(watcher)


def _stop(watcher: "WatchThread | None") -> None:
    # The watcher's thread is stopped before the interpreter exits: left running, it could
    # be inside watchfiles' native code at exit, which aborted the process ("terminate
    # called without an active exception", exit 134) about once in twenty `chat` runs.
    if watcher is not None:
        watcher.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hoidap` console script."""
    parser, commands = build_parser()
    service = subparser(
        commands,
        "bot",
        "run the Telegram bot (settings from the environment and .env)",
        "TELEGRAM_BOT_TOKEN=... hoidap bot --corpus ~/tai-lieu",
    )
    add_corpus_args(service)
    service.set_defaults(func=_cmd_bot)
    conversation = subparser(
        commands,
        "chat",
        "ask questions in the terminal, formatted as the bot would answer (arrow keys edit "
        "the line and recall earlier questions; /help lists the commands, /thoat quits)",
        "hoidap chat --corpus ~/tai-lieu",
    )
    add_corpus_args(conversation)
    conversation.set_defaults(func=_cmd_chat)
    add_serve_command(commands, add_corpus_args)
    return run(parser, argv)
