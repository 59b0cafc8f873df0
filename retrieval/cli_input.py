"""The command line's input: the question, or the lines of a --batch file read as bytes so
that lines out always match lines in, checked before any work is done."""

import argparse
import sys
from collections.abc import Iterator
from typing import BinaryIO


class UsageError(Exception):
    """A mistake in how the command was called (exit status 2)."""


def batch_lines(stream: BinaryIO) -> Iterator[tuple[str, str | None]]:
    """(line, error) for each line of `stream`. Lines end at "\\n" alone (a lone "\\r" is
    part of its line, "\\r\\n" ends one), so lines out match lines in whatever the bytes;
    a line that is not UTF-8 comes with an error instead of stopping the batch."""
    with stream:
        for number, raw in enumerate(stream, start=1):
            line = raw.removesuffix(b"\n").removesuffix(b"\r")
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            try:
                yield line.decode("utf-8"), None
            except UnicodeDecodeError as exc:
                error = f"line {number} is not valid UTF-8 (byte 0x{line[exc.start]:02x})"
                yield line.decode("utf-8", "replace"), error


def queries(args: argparse.Namespace) -> Iterator[tuple[str, str | None]]:
    """The single positional query, or one query per line of --batch (- for stdin), each
    with an error or None. Checked now, before the index is opened."""
    if args.batch is None:
        if args.query is None:
            raise UsageError("give a question, or --batch FILE")
        if not args.query.strip():
            raise UsageError("the question is empty")
        return iter([(args.query, None)])
    if args.query is not None:
        raise UsageError("give either a question or --batch, not both")
    if args.batch == "-":
        return batch_lines(sys.stdin.buffer)
    try:
        return batch_lines(open(args.batch, "rb"))
    except OSError as error:
        raise UsageError(f"cannot read the batch file {args.batch}: {error.strerror}") from error
