"""Replies gathered while an update is handled, queued in the outbox once it is done.

Handlers never send messages themselves: they add replies to the update being handled (a
context variable, so concurrent updates keep theirs apart). The dispatcher then commits
them with the update in one transaction and the sender delivers them, so an answer is
neither lost nor sent twice when the process dies half-way.
"""

from contextvars import ContextVar
from dataclasses import dataclass, field

from bot.store import Incoming, Reply


@dataclass
class Handling:
    """The update being handled: when it arrived, how long it waited, its replies so far."""

    incoming: Incoming
    waited: float
    replies: list[Reply] = field(default_factory=list)


current: ContextVar[Handling | None] = ContextVar("hoidap_handling", default=None)


def handling() -> Handling:
    """The update being handled; replies outside the dispatcher are a programming error."""
    now = current.get()
    if now is None:
        raise RuntimeError("a reply was made outside the handling of an update")
    return now


def add(reply: Reply) -> None:
    handling().replies.append(reply)
