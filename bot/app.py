"""Building the Telegram application and running it as an unattended service."""

import asyncio
import logging
import secrets
import signal
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.error import NetworkError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.config import Settings
from bot.handlers import (
    Services,
    allowlist_guard,
    ask_command,
    button,
    documents_command,
    group_question,
    help_command,
    inline_query,
    not_text,
    on_error,
    private_question,
    search_command,
    start,
)
from bot.health import Health, Metrics, MonitoringServer
from bot.limits import Allowlist, QuestionLimiter
from retrieval import Engine

logger = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "Giới thiệu và câu hỏi mẫu"),
    BotCommand("help", "Cách dùng"),
    BotCommand("hoi", "Đặt câu hỏi (dùng trong nhóm)"),
    BotCommand("timkiem", "Tìm các đoạn văn liên quan nhất"),
    BotCommand("tailieu", "Danh sách tài liệu"),
]


class TelegramRequest(HTTPXRequest):
    """HTTPXRequest that tells the health endpoint whenever Telegram answers, and retries
    failed connections and 5xx answers a few times with a growing pause."""

    def __init__(self, health: Health, retries: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._health = health
        self._retries = retries

    async def do_request(self, *args: object, **kwargs: object) -> tuple[int, bytes]:
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                status, body = await super().do_request(*args, **kwargs)  # type: ignore[arg-type]
            except TimedOut:
                # Telegram may have acted on a request that timed out; sending it again
                # could post the same answer twice.
                raise
            except NetworkError:
                if last:
                    raise
            else:
                self._health.contacted()
                if status < 500 or last:
                    return status, body
            await asyncio.sleep(0.25 * 2**attempt)
        raise AssertionError("unreachable")


# Titles make stiff questions; for the bundled corpus we know better ones.
SEED_EXAMPLES = [
    "Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV tại Bộ Ngoại giao?",
    "Kết luận số 57 của Bộ Chính trị về thông tin đối ngoại ra ngày nào?",
    "Hội nghị đối ngoại toàn quốc năm 2021 diễn ra ở đâu?",
]


# Documents whose titles are tried as example questions, at most.
EXAMPLE_CANDIDATES = 30


def example_questions(
    engine: Engine, configured: list[str], bundled_seeds: bool, count: int = 3
) -> list[str]:
    """The configured examples; else, for the bundled seeds, SEED_EXAMPLES; else questions
    made from document titles, kept only if the engine answers them."""
    if configured:
        return configured
    if bundled_seeds:
        return SEED_EXAMPLES
    examples = []
    # Startup must not ask a question per document of a 150,000-article archive.
    for document in engine.documents[:EXAMPLE_CANDIDATES]:
        title = document.title.strip().rstrip(".")
        if not title or title.endswith("…") or len(title) > 100:
            continue
        question = f"{title} diễn ra như thế nào?"
        if engine.ask(question).answered:
            examples.append(question)
        if len(examples) == count:
            break
    return examples


async def _register_commands(application: Application) -> None:
    await application.bot.set_my_commands(COMMANDS)


def build_application(
    settings: Settings,
    engine: Engine,
    metrics: Metrics | None = None,
    health: Health | None = None,
) -> Application:
    """The bot with all its handlers, talking to `settings.telegram_base_url`."""
    health = health or Health()
    health.index_loaded(len(engine.documents))
    application = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .request(TelegramRequest(health, retries=2, connection_pool_size=64))
        # Polling retries on its own; a long poll must not be repeated behind its back.
        .get_updates_request(TelegramRequest(health, retries=0))
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(True)
        .post_init(_register_commands)
        .build()
    )
    application.bot_data["services"] = Services(
        engine=engine,
        settings=settings,
        metrics=metrics or Metrics(),
        limiter=QuestionLimiter(settings.questions_per_window, settings.question_window_seconds),
        allowlist=Allowlist(settings.allowed_user_ids, settings.allowed_chat_ids),
        examples=example_questions(engine, settings.examples, settings.corpus is None),
    )

    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    groups = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
    application.add_handler(TypeHandler(Update, allowlist_guard), group=-1)
    application.add_handlers(
        [
            CommandHandler("start", start),
            CommandHandler("help", help_command),
            CommandHandler(["hoi", "ask"], ask_command),
            CommandHandler(["timkiem", "search"], search_command),
            CommandHandler(["tailieu", "docs"], documents_command),
            MessageHandler(private & filters.COMMAND, help_command),
            MessageHandler(private & filters.TEXT, private_question),
            MessageHandler(groups & filters.TEXT & ~filters.COMMAND, group_question),
            MessageHandler(private & ~filters.StatusUpdate.ALL, not_text),
            CallbackQueryHandler(button),
            InlineQueryHandler(inline_query),
        ]
    )
    application.add_error_handler(on_error)
    return application


class RedactingFormatter(logging.Formatter):
    """Removes secrets from every log line, tracebacks included."""

    def __init__(self, fmt: str, secrets_: list[str]) -> None:
        super().__init__(fmt)
        self._secrets = [s for s in secrets_ if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text


def configure_logging(settings: Settings) -> None:
    """Log to stderr (journald picks it up) without ever printing the bot token."""
    hidden = [settings.telegram_bot_token.get_secret_value()]
    if settings.webhook_secret:
        hidden.append(settings.webhook_secret.get_secret_value())
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", hidden)
    )
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def serve(settings: Settings, engine: Engine) -> None:
    """Run the bot until SIGINT or SIGTERM: long polling, or a webhook when one is set."""
    health, metrics = Health(), Metrics()
    application = build_application(settings, engine, metrics, health)
    monitor = None
    if settings.health_port is not None:
        monitor = MonitoringServer(settings.health_host, settings.health_port, health, metrics)
        monitor.start()
        logger.info("health and metrics on http://%s:%s/", settings.health_host, monitor.port)
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    try:
        if settings.webhook_url:
            secret = (
                settings.webhook_secret.get_secret_value()
                if settings.webhook_secret
                # Telegram repeats the secret on every call; any fresh one does if unset.
                else secrets.token_urlsafe(32)
            )
            application.run_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
                webhook_url=settings.webhook_url,
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
                stop_signals=stop_signals,
            )
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES, stop_signals=stop_signals)
    finally:
        if monitor is not None:
            monitor.stop()
    logger.info("stopped")
