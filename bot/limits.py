"""Who may ask, and how often."""

import time
from collections import defaultdict, deque
from collections.abc import Callable, Collection


class QuestionLimiter:
    """At most `limit` questions per user in any sliding `window` seconds."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._asked: defaultdict[int, deque[float]] = defaultdict(deque)

    def check(self, user_id: int) -> float:
        """Record a question and return 0, or return the seconds to wait (nothing recorded)."""
        now = self._clock()
        asked = self._asked[user_id]
        while asked and asked[0] <= now - self._window:
            asked.popleft()
        if len(asked) >= self._limit:
            return asked[0] + self._window - now
        asked.append(now)
        return 0.0


class Allowlist:
    """Users and chats the bot serves; both empty means everyone."""

    def __init__(self, user_ids: Collection[int], chat_ids: Collection[int]) -> None:
        self._users = frozenset(user_ids)
        self._chats = frozenset(chat_ids)

    @property
    def open(self) -> bool:
        return not self._users and not self._chats

    def allows(self, user_id: int | None, chat_id: int | None) -> bool:
        return self.open or user_id in self._users or chat_id in self._chats
