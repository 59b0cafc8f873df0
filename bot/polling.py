"""Long polling that stores every update before Telegram is told it arrived.

getUpdates confirms a batch only when the next call asks for a higher offset, so each batch
is committed to the inbox before that next call is made. Updates are kept as the raw JSON
Telegram sent: one the library cannot read is stored and skipped later, never allowed to
stop polling.
"""

import asyncio
import json
import logging
import warnings
from collections.abc import Callable

from telegram import Bot, Update
from telegram.error import Conflict, EndPointNotFound, InvalidToken, NetworkError, RetryAfter
from telegram.warnings import PTBUserWarning

from bot.health import Health, Metrics
from bot.sending import FIRST_BACKOFF, MAX_BACKOFF, seconds
from bot.store import Store

logger = logging.getLogger(__name__)

# Bot.get_updates would parse the whole batch and fail on one unreadable update; the raw
# call is what we want, and PTB warns whenever an endpoint it wraps is called directly.
warnings.filterwarnings("ignore", "Please use 'Bot.getUpdates'", PTBUserWarning)

# Seconds Telegram holds a getUpdates call open when there is nothing new.
LONG_POLL = 25


class TokenRejected(Exception):
    """Telegram no longer accepts the bot token (revoked, or the bot was deleted)."""


async def poll(
    bot: Bot,
    store: Store,
    health: Health,
    metrics: Metrics,
    read_timeout: float,
    on_new: Callable[[], None],
    long_poll: float = LONG_POLL,
) -> None:
    """Fetch updates forever; raises TokenRejected when the token stops working."""
    offset: int | None = None
    backoff = FIRST_BACKOFF
    while True:
        arguments: dict[str, object] = {"timeout": long_poll, "allowed_updates": Update.ALL_TYPES}
        if offset is not None:
            arguments["offset"] = offset
        try:
            batch = await bot.do_api_request(
                "getUpdates", api_kwargs=arguments, read_timeout=long_poll + read_timeout
            )
        except (InvalidToken, EndPointNotFound) as error:
            raise TokenRejected from error
        except RetryAfter as error:
            metrics.polling_errors.inc()
            await asyncio.sleep(seconds(error.retry_after))
            continue
        except (Conflict, NetworkError) as error:
            metrics.polling_errors.inc()
            if health.failed(error):
                logger.warning("getUpdates failed (%s); retrying with back-off", _describe(error))
            await asyncio.sleep(backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)
            continue
        backoff = FIRST_BACKOFF
        rows = [
            (update["update_id"], json.dumps(update, ensure_ascii=False))
            for update in (batch if isinstance(batch, list) else [])
            if isinstance(update, dict) and isinstance(update.get("update_id"), int)
        ]
        if rows:
            # Committed before the next call confirms them with a higher offset.
            await store.add_updates(rows)
            offset = max(update_id for update_id, _ in rows) + 1
            on_new()


def _describe(error: Exception) -> str:
    # Conflict means another instance polls, or a webhook is set; its message says which.
    if isinstance(error, Conflict):
        return f"Conflict: {error.message}"
    return type(error).__name__
