"""The bot as a service: updates in through the durable inbox, replies out through the outbox.

    intake (long polling or webhook) -> inbox -> dispatcher (handlers) -> outbox -> sender

Each arrow is a commit, so whatever was received when the process died is answered after
it starts again, once.
"""

import asyncio
import contextlib
import json
import logging
import secrets
import signal
import time
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot import replies
from bot.config import Settings
from bot.health import Health, Metrics
from bot.polling import TokenRejected, poll
from bot.sending import Sender, seconds
from bot.store import Incoming, Store
from bot.webhook import webhook_server

logger = logging.getLogger(__name__)

EXIT_TOKEN_REJECTED = 2
TOKEN_REJECTED = (
    "Telegram rejected the bot token (revoked, or the bot deleted): set TELEGRAM_BOT_TOKEN to "
    "the token @BotFather gives now; stopping with exit status 2"
)
# Updates handled at once; answers are found off the event loop, so a few suffice.
CONCURRENCY = 8
# New updates wait in the inbox while this many replies wait to be sent, so that a backlog
# is seen (and bounded) where questions arrive rather than hidden in the outbox.
SEND_WINDOW = 60
# Inline queries older than this are past answering (Telegram drops them after ~10 s).
STALE_INLINE_QUERY = 30.0
# How long stopping waits for updates being handled, and then for replies to go out.
STOP_GRACE = 10.0
HOUSEKEEPING_SECONDS = 1.0
PURGE_EVERY = 600.0


class Service:
    """Runs `application`'s handlers over the inbox in `store` until stopped."""

    def __init__(
        self,
        settings: Settings,
        application: Application,
        store: Store,
        health: Health,
        metrics: Metrics,
        webhook_secret: str | None = None,
    ) -> None:
        self.settings = settings
        self.application = application
        self.store = store
        self.health = health
        self.metrics = metrics
        self.webhook_secret = webhook_secret or secrets.token_urlsafe(32)
        self.sender = Sender(
            application.bot,
            store,
            metrics,
            health,
            settings.send_retry_minutes * 60,
            self._token_rejected,
        )
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._exit = 0
        self._handling: dict[int, asyncio.Task[None]] = {}
        self._started = time.time()
        # Set once the service takes updates; tests wait for it.
        self.ready = asyncio.Event()

    def stop(self, status: int = 0) -> None:
        self._exit = max(self._exit, status)
        self._stopping.set()

    def _token_rejected(self) -> None:
        if not self.health.token_rejected:
            self.health.token_rejected = True
            logger.error(TOKEN_REJECTED)
        self.stop(EXIT_TOKEN_REJECTED)

    async def run(self, stop_signals: bool = False) -> int:
        """Serve until stopped; the exit status (2: the token was rejected)."""
        loop = asyncio.get_running_loop()
        if stop_signals:
            for stop_signal in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(stop_signal, self.stop)
        server = None
        if self.settings.webhook_url:
            path = urlsplit(self.settings.webhook_url).path
            server = webhook_server(
                self.settings.webhook_listen,
                self.settings.webhook_port,
                path,
                self.store,
                self.webhook_secret,
                self._wake.set,
            )
        try:
            if await self._connect():
                await self._serve()
        finally:
            if server is not None:
                server.stop()
                await server.close_all_connections()
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()
        logger.info("stopped")
        return self._exit

    async def _connect(self) -> bool:
        """Reach Telegram (getMe, then set up polling or the webhook), retrying with back-off
        while it cannot be reached; False if the token was rejected or we were stopped."""
        delay = 1.0
        while not self._stopping.is_set():
            try:
                await self.application.initialize()
                bot = self.application.bot
                if self.settings.webhook_url:
                    await bot.set_webhook(
                        self.settings.webhook_url,
                        secret_token=self.webhook_secret,
                        allowed_updates=Update.ALL_TYPES,
                    )
                else:
                    await bot.delete_webhook()
                return True
            except InvalidToken:
                self._token_rejected()
                return False
            except (NetworkError, RetryAfter) as error:
                # BadRequest from setWebhook (a bad URL) is a NetworkError too: it will be
                # retried, visibly, while the administrator fixes the setting.
                self.health.failed(error)
                if isinstance(error, RetryAfter):
                    delay = max(delay, seconds(error.retry_after))
                logger.warning(
                    "Telegram Bot API not reachable at start-up (%s, attempt %d); "
                    "retrying in %.0f s",
                    type(error).__name__,
                    self.health.attempts,
                    delay,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                delay = min(60.0, delay * 2)
        return False

    async def _serve(self) -> None:
        await self.application.start()
        try:
            await self.application.bot.set_my_commands(self.application.bot_data["commands"])
        except TelegramError as error:
            logger.warning("could not register the command menu (%s)", type(error).__name__)
        self.sender.add(await self.store.pending_replies())
        mode = "webhook" if self.settings.webhook_url else "long polling"
        logger.info("serving (%s); state in %s", mode, self.store.path.parent)
        self.ready.set()
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(self.sender.run()),
                group.create_task(self._housekeeping()),
            ]
            if not self.settings.webhook_url:
                tasks.append(group.create_task(self._poll()))
            dispatcher = group.create_task(self._dispatch())
            await self._stopping.wait()
            # Take nothing new; finish what is being handled; give replies a moment.
            dispatcher.cancel()
            if tasks[2:]:
                tasks[2].cancel()
            if self._handling:
                await asyncio.wait(list(self._handling.values()), timeout=STOP_GRACE)
            if self._exit == 0:
                await self.sender.drained(STOP_GRACE)
            for task in tasks:
                task.cancel()
            for task in list(self._handling.values()):
                task.cancel()

    async def _poll(self) -> None:
        try:
            await poll(
                self.application.bot,
                self.store,
                self.health,
                self.metrics,
                self.settings.telegram_timeout_seconds,
                self._wake.set,
            )
        except TokenRejected:
            self._token_rejected()

    async def _dispatch(self) -> None:
        slots = asyncio.Semaphore(CONCURRENCY)
        while True:
            # Updates being handled count as replies to come.
            room = SEND_WINDOW - self.sender.pending - len(self._handling)
            if room <= 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.sender.wait_below(self.sender.pending), 0.05)
                continue
            self._wake.clear()
            batch = await self.store.new_updates(min(room, 2 * CONCURRENCY), skip=self._handling)
            if not batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 1.0)
                continue
            for incoming in batch:
                await slots.acquire()
                task = asyncio.create_task(self._handle(incoming))
                self._handling[incoming.update_id] = task

                def done(_: object, update_id: int = incoming.update_id) -> None:
                    self._handling.pop(update_id, None)
                    slots.release()

                task.add_done_callback(done)

    async def _handle(self, incoming: Incoming) -> None:
        try:
            update = Update.de_json(json.loads(incoming.data), self.application.bot)
        except Exception as error:
            # Logged without the update: its text is the user's.
            logger.warning(
                "update %s could not be read (%s); skipped",
                incoming.update_id,
                type(error).__name__,
            )
            self.metrics.skipped.inc()
            await self.store.finish(incoming, [], state="skipped")
            return
        now = time.time()
        if update.inline_query and now - incoming.received_at > STALE_INLINE_QUERY:
            await self.store.finish(incoming, [])
            return
        handling = replies.Handling(incoming, waited=now - max(incoming.received_at, self._started))
        token = replies.current.set(handling)
        try:
            await self.application.process_update(update)
        except Exception:
            logger.exception("update %s could not be handled", incoming.update_id)
            handling.replies.clear()
        finally:
            replies.current.reset(token)
        self.sender.add(await self.store.finish(incoming, handling.replies))

    async def _housekeeping(self) -> None:
        last_purge = 0.0
        while True:
            count, oldest = await self.store.backlog()
            now = time.time()
            self.health.backlog, self.health.oldest = count, oldest
            self.metrics.backlog.set(count)
            self.metrics.backlog_age.set(0 if oldest is None else now - oldest)
            if now - last_purge > PURGE_EVERY:
                last_purge = now
                await self.store.purge(now - self.settings.retention_hours * 3600)
            await asyncio.sleep(HOUSEKEEPING_SECONDS)
