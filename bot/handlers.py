"""The Telegram conversation: questions, commands, buttons and inline mode."""

import asyncio
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import replies
from bot.config import Settings
from bot.formatting import (
    Line,
    Span,
    answer_lines,
    documents_lines,
    help_lines,
    search_lines,
    to_html,
    welcome_lines,
)
from bot.health import Metrics
from bot.limits import Allowlist, QuestionLimiter
from bot.store import Reply
from retrieval import Answer, Engine

logger = logging.getLogger(__name__)

# Enough to follow up on answers given over the last hours without growing without bound.
_REMEMBERED_ANSWERS = 2000

APOLOGY = "Xin lỗi, đã có lỗi khi xử lý yêu cầu của bạn. Bạn vui lòng thử lại sau nhé."
NOT_ALLOWED = "Xin lỗi, bot này chỉ phục vụ những người dùng được cấp quyền."
NOT_TEXT = "Mình chỉ đọc được câu hỏi bằng chữ. Bạn hãy gõ câu hỏi thành một tin nhắn văn bản."
EMPTY_QUESTION = "Bạn muốn hỏi gì? Hãy viết câu hỏi, ví dụ: Ai chủ trì cuộc họp?"
EXPIRED = "Câu trả lời này đã cũ, bạn hãy hỏi lại nhé."
BUSY = "Mình đang bận trả lời nhiều câu hỏi. Bạn vui lòng hỏi lại sau ít phút nhé."
# A chat told "busy" is not told again for this many backlog bounds.
BUSY_EPISODES = 5
# Seconds an answer may take before "typing…" is shown.
TYPING_AFTER = 0.5
# Callback data numbers: ASCII digits only (str.isdigit also accepts "²", which int() refuses).
_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass
class Services:
    """What the handlers share, kept in `application.bot_data["services"]`."""

    engine: Engine
    settings: Settings
    metrics: Metrics
    limiter: QuestionLimiter
    allowlist: Allowlist
    examples: list[str]
    answers: OrderedDict[int, Answer] = field(default_factory=OrderedDict)
    next_key: int = 0
    busy_told: dict[int, float] = field(default_factory=dict)

    def remember(self, answer: Answer) -> int:
        """Keep `answer` for its buttons; the key goes into the callback data."""
        self.next_key += 1
        self.answers[self.next_key] = answer
        while len(self.answers) > _REMEMBERED_ANSWERS:
            self.answers.popitem(last=False)
        return self.next_key

    def tell_busy(self, chat_id: int) -> bool:
        """Whether this chat should be told the bot is busy: once per BUSY_EPISODES bounds.
        Its other questions past the bound are dropped unanswered (the reply asked the user
        to ask again), so that an overload costs a message per chat, not per question."""
        now = time.monotonic()
        quiet = BUSY_EPISODES * self.settings.backlog_max_age_seconds
        if now - self.busy_told.get(chat_id, -quiet) < quiet:
            return False
        self.busy_told[chat_id] = now
        if len(self.busy_told) > _REMEMBERED_ANSWERS:
            self.busy_told = {c: t for c, t in self.busy_told.items() if now - t < quiet}
        return True


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.bot_data["services"]


def _text(text: str) -> list[Line]:
    return [[Span(text)]]


async def _reply(
    message: Message,
    lines: list[Line],
    markup: InlineKeyboardMarkup | None = None,
    kind: str = "",
) -> None:
    """Queue `lines` as one or more HTML messages, the buttons under the last one; in groups
    the first part replies to the asking message so the thread stays readable. They are
    sent from the outbox once the update is handled (see bot.replies)."""
    parts = to_html(lines)
    in_group = message.chat.type != ChatType.PRIVATE
    for number, part in enumerate(parts):
        last = number == len(parts) - 1
        params: dict[str, object] = {"chat_id": message.chat_id, "text": part, "parse_mode": "HTML"}
        if in_group and number == 0:
            params["reply_to"] = message.message_id
        if last and markup is not None:
            params["reply_markup"] = markup.to_dict()
        replies.add(Reply(message.chat_id, params, kind if last else ""))


def _answer_buttons(key: int, answer: Answer) -> InlineKeyboardMarkup:
    passages = [
        InlineKeyboardButton(f"📄 Đoạn văn [{n}]", callback_data=f"p:{key}:{n}")
        for n in range(1, len(answer.sentences) + 1)
    ]
    more = InlineKeyboardButton("🔎 Thêm kết quả", callback_data=f"m:{key}")
    return InlineKeyboardMarkup([passages, [more]] if passages else [[more]])


async def _show_typing(message: Message) -> None:
    """Best-effort: a failed chat action must never cost the user their answer."""
    try:
        await message.chat.send_action(ChatAction.TYPING)
    except TelegramError as error:
        logger.warning("typing indicator failed in chat %s: %s", message.chat_id, error)


async def _find_answer(message: Message, question: str, svc: "Services") -> Answer:
    """The engine's answer; "typing…" is shown only if it is not ready at once, since every
    chat action counts against Telegram's limits like a message."""
    asking = asyncio.ensure_future(
        asyncio.to_thread(svc.engine.ask, question, svc.settings.answer_sentences)
    )
    done, _ = await asyncio.wait({asking}, timeout=TYPING_AFTER)
    if not done:
        await _show_typing(message)
    return await asking


def _late_note(message: Message, late_after: float) -> list[Line]:
    """A short apology when the question waited long (the bot was down, or busy)."""
    waited = time.time() - message.date.timestamp()
    if waited <= late_after:
        return []
    amount = f"{round(waited / 60)} phút" if waited >= 90 else f"{round(waited)} giây"
    return [[Span(f"Xin lỗi vì trả lời muộn: bạn đã hỏi cách đây {amount}.", "i")]]


async def _answer_question(
    message: Message, question: str, user_id: int, context: ContextTypes.DEFAULT_TYPE
) -> None:
    """Check the question and the asker's quota, then reply with the cited answer."""
    svc = services(context)
    question = question.strip()
    if not question:
        await _reply(message, _text(EMPTY_QUESTION))
        return
    limit = svc.settings.max_question_chars
    if len(question) > limit:
        await _reply(
            message,
            _text(
                f"Câu hỏi hơi dài ({len(question)} ký tự). Bạn vui lòng hỏi ngắn gọn hơn, "
                f"dưới {limit} ký tự nhé."
            ),
        )
        return
    wait = svc.limiter.check(user_id)
    if wait:
        await _reply(
            message,
            _text(
                "Bạn đã hỏi khá nhiều câu trong thời gian ngắn. "
                f"Bạn vui lòng đợi khoảng {max(1, round(wait))} giây rồi hỏi tiếp nhé."
            ),
        )
        return

    svc.metrics.questions.inc()
    if replies.handling().waited > svc.settings.backlog_max_age_seconds:
        if svc.tell_busy(message.chat_id):
            svc.metrics.busy.inc()
            await _reply(message, _text(BUSY), kind="busy")
        else:
            svc.metrics.dropped.inc()
        return
    started = time.perf_counter()
    answer = await _find_answer(message, question, svc)
    svc.metrics.latency.observe(time.perf_counter() - started)
    key = svc.remember(answer)
    lines = _late_note(message, svc.settings.late_after_seconds) + answer_lines(answer)
    kind = "answered" if answer.answered else "abstained"
    await _reply(message, lines, _answer_buttons(key, answer), kind=kind)


async def private_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a text message in a private chat: every message there is a question."""
    message = update.effective_message
    if message is None or message.text is None or update.effective_user is None:
        return
    await _answer_question(message, message.text, update.effective_user.id, context)


async def group_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a group message only when it mentions the bot or replies to it."""
    message = update.effective_message
    if message is None or message.text is None or update.effective_user is None:
        return
    handle = f"@{context.bot.username}".lower()
    mentions = [
        entity
        for entity, text in message.parse_entities([MessageEntity.MENTION]).items()
        if text.lower() == handle
    ]
    replied = message.reply_to_message
    to_bot = (
        replied is not None
        and replied.from_user is not None
        and (replied.from_user.id == context.bot.id)
    )
    if not mentions and not to_bot:
        return
    question = message.text
    # Entity offsets count UTF-16 units; cutting from the end keeps earlier offsets valid.
    encoded = question.encode("utf-16-le")
    for entity in sorted(mentions, key=lambda e: e.offset, reverse=True):
        start, end = 2 * entity.offset, 2 * (entity.offset + entity.length)
        encoded = encoded[:start] + " ".encode("utf-16-le") + encoded[end:]
    question = encoded.decode("utf-16-le")
    await _answer_question(message, question, update.effective_user.id, context)


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer `/hoi <question>`, the way to ask in a group without mentioning the bot."""
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    await _answer_question(message, " ".join(context.args or []), update.effective_user.id, context)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user, explain how to ask and suggest questions the corpus can answer."""
    if update.effective_message:
        await _reply(update.effective_message, welcome_lines(services(context).examples))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands and how to ask in a group."""
    if update.effective_message:
        await _reply(update.effective_message, help_lines(in_telegram=True))


async def search_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the passages that best match `/timkiem <keywords>`."""
    message = update.effective_message
    if message is None:
        return
    query = " ".join(context.args or []).strip()
    if not query:
        await _reply(message, _text("Hãy viết từ khóa sau lệnh, ví dụ: /timkiem Đại hội XIV"))
        return
    if len(query) > services(context).settings.max_question_chars:
        await _reply(message, _text("Từ khóa quá dài, bạn vui lòng rút gọn nhé."))
        return
    hits = await asyncio.to_thread(services(context).engine.search, query, 5)
    await _reply(message, search_lines(query, hits))


async def documents_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the documents the bot answers from."""
    if update.effective_message:
        await _reply(update.effective_message, documents_lines(services(context).engine.documents))


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell the sender of a sticker, photo or other non-text message how to ask."""
    if update.effective_message:
        await _reply(update.effective_message, _text(NOT_TEXT))


async def allowlist_guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop updates from users and chats outside the allowlist before any other handler."""
    svc = services(context)
    user = update.effective_user
    chat = update.effective_chat
    if svc.allowlist.allows(user.id if user else None, chat.id if chat else None):
        return
    logger.info(
        "ignored update from user %s in chat %s (not allowed)",
        user.id if user else None,
        chat.id if chat else None,
    )
    if update.callback_query:
        await update.callback_query.answer(NOT_ALLOWED, show_alert=True)
    elif update.inline_query:
        await update.inline_query.answer([], cache_time=0)
    elif update.message and update.message.chat.type == ChatType.PRIVATE:
        await _reply(update.message, _text(NOT_ALLOWED))
    raise ApplicationHandlerStop


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with its context and apologise to the user; never re-raise. Nothing
    of this update has been sent yet (replies wait in the outbox until it is handled), so
    the apology replaces them rather than following a half-sent answer."""
    svc = services(context)
    svc.metrics.errors.inc()
    if not isinstance(update, Update):
        logger.error("error outside an update", exc_info=context.error)
        return
    chat = update.effective_chat
    user = update.effective_user
    logger.error(
        "error handling update %s (chat %s, user %s)",
        update.update_id,
        chat.id if chat else None,
        user.id if user else None,
        exc_info=context.error,
    )
    handling = replies.current.get()
    if chat is None or handling is None:
        return
    handling.replies.clear()
    replies.add(Reply(chat.id, {"chat_id": chat.id, "text": APOLOGY}))
