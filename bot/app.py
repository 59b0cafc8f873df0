"""Building the Telegram application and running it as an unattended service."""

import asyncio
import logging
import secrets
import time

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot import uploads
from bot.buttons import button, inline_query
from bot.config import Settings
from bot.handlers import (
    Services,
    allowlist_guard,
    ask_command,
    documents_command,
    group_question,
    help_command,
    not_text,
    on_error,
    private_question,
    search_command,
    start,
)
from bot.health import Health, Metrics, MonitoringServer
from bot.limits import Allowlist, QuestionLimiter
from bot.service import Service
from bot.store import Store
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
    """HTTPXRequest that tells the health endpoint whenever Telegram answers. It never
    retries: a reply that may have been delivered is retried by the sender, from the
    outbox, or not at all."""

    def __init__(self, health: Health, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._health = health

    async def do_request(self, *args: object, **kwargs: object) -> tuple[int, bytes]:
        sent_at = time.time()
        status, body = await super().do_request(*args, **kwargs)  # type: ignore[arg-type]
        if status < 500:
            recovered = self._health.contacted(sent_at)
            if recovered is not None:
                logger.info("Telegram reachable again after %.0f s", recovered)
        return status, body


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


def build_application(
    settings: Settings,
    engine: Engine,
    metrics: Metrics | None = None,
    health: Health | None = None,
) -> Application:
    """The bot with all its handlers, talking to `settings.telegram_base_url`."""
    health = health or Health()
    health.index_loaded(len(engine.documents))
    timeout = settings.telegram_timeout_seconds
    timeouts = {"read_timeout": timeout, "write_timeout": timeout, "connect_timeout": timeout}
    application = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .request(TelegramRequest(health, connection_pool_size=64, **timeouts))
        .get_updates_request(TelegramRequest(health, **timeouts))
        # Updates come from the inbox (bot.service), replies go through the outbox and its
        # own limits (bot.sending): PTB's updater and rate limiter are not used.
        .updater(None)
        .build()
    )
    application.bot_data["commands"] = COMMANDS
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
    uploads.register(application)  # before the replies to other files and commands
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


# Secrets known to the process (the token, the webhook secret); no log line shows them.
_HIDDEN: set[str] = set()


def hide_in_logs(secret: str) -> None:
    if secret:
        _HIDDEN.add(secret)


class RedactingFormatter(logging.Formatter):
    """Removes secrets from every log line, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in _HIDDEN:
            text = text.replace(secret, "<redacted>")
        return text


def configure_logging(settings: Settings) -> None:
    """Log to stderr (journald picks it up) without ever printing the bot token."""
    hide_in_logs(settings.telegram_bot_token.get_secret_value())
    if settings.webhook_secret:
        hide_in_logs(settings.webhook_secret.get_secret_value())
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def make_service(
    settings: Settings, engine: Engine, health: Health | None = None, metrics: Metrics | None = None
) -> Service:
    """The application and its durable inbox and outbox in `settings.state_folder()`."""
    health = health or Health(settings.telegram_silence_seconds, settings.backlog_max_age_seconds)
    metrics = metrics or Metrics()
    application = build_application(settings, engine, metrics, health)
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    # Telegram repeats the secret on every call; any fresh one does if none is set.
    secret = secret or secrets.token_urlsafe(32)
    hide_in_logs(secret)
    store = Store(settings.state_folder())
    return Service(settings, application, store, health, metrics, webhook_secret=secret)


def serve(settings: Settings, engine: Engine) -> int:
    """Run the bot until SIGINT or SIGTERM: long polling, or a webhook when one is set.
    Returns the exit status: 0, or 2 when Telegram rejects the token."""
    service = make_service(settings, engine)
    monitor = None
    if settings.health_port is not None:
        try:
            monitor = MonitoringServer(
                settings.health_host, settings.health_port, service.health, service.metrics
            )
        except OSError as exc:
            # The generic handler prints the message: name the address and the setting.
            raise OSError(
                f"cannot listen for health and metrics on {settings.health_host}:"
                f"{settings.health_port} ({exc.strerror or exc}); set HOIDAP_HEALTH_PORT "
                "to a free port"
            ) from exc
        monitor.start()
        logger.info("health and metrics on http://%s:%s/", settings.health_host, monitor.port)
    try:
        return asyncio.run(service.run(stop_signals=True))
    finally:
        service.store.close()
        if monitor is not None:
            monitor.stop()
