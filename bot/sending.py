"""Delivering the outbox within Telegram's limits, retrying what may succeed later.

A reply is sent when its chat and the bot as a whole are within their budgets; the parts
of one chat's replies go out in order, one at a time. Network errors, timeouts, 5xx and
429 pause all sending with a growing back-off (429: as long as Telegram asks) and are
retried for `retry_seconds`; a blocked bot or a vanished chat is final. A reply counts as
delivered only when Telegram acknowledged it.
"""

import asyncio
import datetime as dtm
import logging
import time
import warnings
from collections import deque
from collections.abc import Callable

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, ReplyParameters
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.warnings import PTBDeprecationWarning

from bot.health import Health, Metrics
from bot.limits import SendBudget
from bot.store import Outgoing, Store

logger = logging.getLogger(__name__)

# RetryAfter.retry_after is an int or a timedelta depending on PTB's settings; both are read.
warnings.filterwarnings("ignore", ".*retry_after.*", PTBDeprecationWarning)

SENT, FAILED, RETRY = "sent", "failed", "retry"
FIRST_BACKOFF = 0.25
MAX_BACKOFF = 30.0


def seconds(value: float | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


class Sender:
    """Sends queued replies with `workers` calls in flight at most."""

    def __init__(
        self,
        bot: Bot,
        store: Store,
        metrics: Metrics,
        health: Health,
        retry_seconds: float,
        on_token_rejected: Callable[[], None],
        budget: SendBudget | None = None,
        workers: int = 16,
    ) -> None:
        self._bot = bot
        self._store = store
        self._metrics = metrics
        self._health = health
        self._retry_seconds = retry_seconds
        self._on_token_rejected = on_token_rejected
        self._budget = budget or SendBudget()
        self._workers = workers
        self._queues: dict[int, deque[Outgoing]] = {}
        self._ready: asyncio.Queue[int] = asyncio.Queue()
        self._first_failure: dict[int, float] = {}
        self._resume_at = 0.0
        self._backoff = FIRST_BACKOFF
        self._changed = asyncio.Condition()
        self.pending = 0

    def add(self, replies: list[Outgoing]) -> None:
        for reply in replies:
            queue = self._queues.get(reply.chat_id)
            if queue is None:
                queue = self._queues[reply.chat_id] = deque()
                self._ready.put_nowait(reply.chat_id)
            # Answers to one chat go out in the order its questions came, whichever was
            # handled first.
            at = len(queue)
            while at > 0 and (queue[at - 1].update_id, queue[at - 1].part) > (
                reply.update_id,
                reply.part,
            ):
                at -= 1
            queue.insert(at, reply)
            self.pending += 1

    async def wait_below(self, count: int) -> None:
        """Return once fewer than `count` replies wait to be sent."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.pending < count)

    async def drained(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.wait_below(1), timeout)
        except TimeoutError:
            return False
        return True

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for _ in range(self._workers):
                group.create_task(self._work())

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            chat_id = await self._ready.get()
            wait = self._budget.chat_delay(chat_id)
            if wait:
                loop.call_later(wait, self._ready.put_nowait, chat_id)
                continue
            while True:
                pause = self._resume_at - loop.time()
                if pause <= 0 and (pause := self._budget.overall_delay()) == 0:
                    break
                await asyncio.sleep(pause)
            queue = self._queues[chat_id]
            head = queue[0]
            outcome = await self._send(head)
            removed = 0
            # Replies may have been queued before `head` while it was being sent.
            if outcome == SENT:
                queue.remove(head)
                removed = 1
            elif outcome == FAILED:
                # A part that failed for good takes the rest of its answer with it.
                rest = [r for r in queue if r.update_id == head.update_id]
                for reply in rest:
                    queue.remove(reply)
                removed = len(rest)
            if queue:
                self._ready.put_nowait(chat_id)
            else:
                del self._queues[chat_id]
            if removed:
                self.pending -= removed
                async with self._changed:
                    self._changed.notify_all()

    async def _send(self, reply: Outgoing) -> str:
        """Try `reply` once: SENT, FAILED (for good) or RETRY (it stays first in its chat)."""
        try:
            await self._bot.send_message(**self._arguments(reply))
        except RetryAfter as error:
            delay = seconds(error.retry_after)
            logger.warning("Telegram asks to slow down: sending paused for %.0f s", delay)
            self._pause(delay)
            return await self._retry(reply, error, quiet=True)
        except (Forbidden, BadRequest) as error:
            # Blocked by the user, chat not found, message rejected: sending again won't help.
            logger.warning(
                "reply to update %s given up: Telegram refused it (%s)",
                reply.update_id,
                error.message,
            )
            return await self._give_up(reply)
        except ChatMigrated as error:
            # A group became a supergroup with a new id; the reply goes there.
            reply.params["chat_id"] = error.new_chat_id
            return RETRY
        except InvalidToken:
            self._on_token_rejected()
            self._pause(1.0)
            return RETRY
        except NetworkError as error:
            return await self._retry(reply, error)
        # (bot.app.TelegramRequest tells the health report that Telegram answered.)
        self._backoff = FIRST_BACKOFF
        self._first_failure.pop(reply.id, None)
        await self._store.mark_sent(reply)
        self._metrics.sends.labels("delivered").inc()
        if reply.last:
            self._metrics.end_to_end.observe(time.time() - reply.received_at)
            counter = {"answered": self._metrics.answered, "abstained": self._metrics.abstained}
            if reply.kind in counter:
                counter[reply.kind].inc()
        return SENT

    def _arguments(self, reply: Outgoing) -> dict[str, object]:
        params = reply.params
        arguments: dict[str, object] = {
            "chat_id": params["chat_id"],
            "text": params["text"],
            "parse_mode": params.get("parse_mode"),
            "link_preview_options": LinkPreviewOptions(is_disabled=True),
        }
        if params.get("reply_to"):
            arguments["reply_parameters"] = ReplyParameters(
                params["reply_to"], allow_sending_without_reply=True
            )
        if params.get("reply_markup"):
            arguments["reply_markup"] = InlineKeyboardMarkup.de_json(
                params["reply_markup"], self._bot
            )
        return arguments

    def _pause(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        self._resume_at = max(self._resume_at, loop.time() + delay)

    async def _retry(self, reply: Outgoing, error: Exception, quiet: bool = False) -> str:
        now = time.monotonic()
        first = self._first_failure.setdefault(reply.id, now)
        if not quiet:
            if self._health.failed(error):
                logger.warning(
                    "Telegram unreachable while sending (%s); retrying with back-off",
                    type(error).__name__,
                )
            # Calls in flight together fail together: only the first one of a round
            # lengthens the pause.
            if asyncio.get_running_loop().time() >= self._resume_at:
                self._pause(self._backoff)
                self._backoff = min(MAX_BACKOFF, self._backoff * 2)
        if now - first > self._retry_seconds:
            logger.warning(
                "reply to update %s given up after %.0f s of failures (%s)",
                reply.update_id,
                now - first,
                type(error).__name__,
            )
            return await self._give_up(reply)
        self._metrics.sends.labels("retried").inc()
        return RETRY

    async def _give_up(self, reply: Outgoing) -> str:
        self._first_failure.pop(reply.id, None)
        rest = [r for r in self._queues.get(reply.chat_id, ()) if r.update_id == reply.update_id]
        await self._store.mark_failed(rest or [reply])
        self._metrics.sends.labels("failed").inc(len(rest) or 1)
        return FAILED
