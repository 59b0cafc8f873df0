"""Who may ask, and how often."""

import time
from collections import defaultdict, deque
from collections.abc import Callable, Collection

# Users remembered before the idle ones are forgotten.
_FORGET_ABOVE = 10_000


class QuestionLimiter:
    """At most `limit` questions per user in any sliding `window` seconds."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._asked: defaultdict[int, deque[float]] = defaultdict(deque)
        self._forget_above = _FORGET_ABOVE

    def check(self, user_id: int) -> float:
        """Record a question and return 0, or return the seconds to wait (nothing recorded)."""
        now = self._clock()
        asked = self._asked[user_id]
        while asked and asked[0] <= now - self._window:
            asked.popleft()
        if len(asked) >= self._limit:
            return asked[0] + self._window - now
        asked.append(now)
        if len(self._asked) > self._forget_above:
            # Users with nothing in the window carry no information: memory stays flat.
            self._asked = defaultdict(
                deque, {u: a for u, a in self._asked.items() if a and a[-1] > now - self._window}
            )
            self._forget_above = max(_FORGET_ABOVE, 2 * len(self._asked))
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


class TokenBucket:
    """`rate` calls per second on average, `burst` at once."""

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._tokens = burst
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    def full(self) -> bool:
        self._refill()
        return self._tokens >= self._burst

    def delay(self) -> float:
        """Take a token and return 0, or return the seconds until one is free (none taken)."""
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self._rate


class SendBudget:
    """Telegram's limits on messages: about 30 a second overall, about one a second in a
    chat and 20 a minute in a group. Only messages count; chat actions and callback answers
    are not sent through here."""

    def __init__(
        self,
        per_second: float = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._overall = TokenBucket(per_second, per_second, clock)
        self._chats: dict[int, TokenBucket] = {}

    def chat_delay(self, chat_id: int) -> float:
        """Take the chat's token and return 0, or the seconds to wait for it."""
        bucket = self._chats.get(chat_id)
        if bucket is None:
            # Negative ids are groups and channels; a burst of three lets a long answer's
            # parts go out together.
            rate = 20 / 60 if chat_id < 0 else 1.0
            bucket = self._chats[chat_id] = TokenBucket(rate, 3, self._clock)
            if len(self._chats) > 10_000:
                self._forget_idle()
        return bucket.delay()

    def overall_delay(self) -> float:
        return self._overall.delay()

    def _forget_idle(self) -> None:
        # A full bucket carries no information; dropping them keeps memory flat.
        for chat_id, bucket in list(self._chats.items()):
            if bucket.full():
                del self._chats[chat_id]
