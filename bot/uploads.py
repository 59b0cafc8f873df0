"""Administrators add documents by sending them to the bot, and remove them with /xoa.

A file sent in a private chat by one of HOIDAP_ADMIN_USER_IDS is checked first (supported
type, at most 20 MB, readable by its parser) and only then saved in the corpus folder,
under a name made safe (no folders, no "..", no control characters) that never replaces
a different file; the index is then updated and the admin told the document's title, its
size in pages or sentences and a question it answers. /xoa moves a document's file into
the corpus's hidden ".da-xoa" folder (never deletes it) and updates the index. Saving the
same file twice (a redelivered update) finds it already there.
"""

import asyncio
import hashlib
import logging
import os
import re
import tempfile
import time
import unicodedata
from pathlib import Path

from telegram import Message, Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.formatting import Line, Span
from bot.handlers import _reply, services
from retrieval import Engine
from retrieval.documents import read_document
from retrieval.formats import SUFFIXES, Unreadable, extract

logger = logging.getLogger(__name__)

# The Bot API lets bots download files up to 20 MB.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
REMOVED_FOLDER = ".da-xoa"
_NAME_MAX = 120

NOT_ADMIN = "Xin lỗi, chỉ quản trị viên của bot mới có thể thêm hoặc xoá tài liệu."
NO_CORPUS = (
    "Bot đang trả lời từ bộ tài liệu mẫu nên không nhận thêm tài liệu. "
    "Hãy đặt HOIDAP_CORPUS là thư mục tài liệu của bạn."
)
UNSUPPORTED = "Định dạng này chưa được hỗ trợ. Bot đọc được các tệp: " + ", ".join(sorted(SUFFIXES))
TOO_LARGE = "Tệp lớn hơn 20 MB, giới hạn tải về của Telegram. Hãy gửi tệp nhỏ hơn."
REMOVE_USAGE = "Hãy viết tên tài liệu sau lệnh, ví dụ: /xoa bao-cao-quy-1 (xem danh sách: /tailieu)"


def _text(*lines: str) -> list[Line]:
    return [[Span(line)] for line in lines]


def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return user is not None and user.id in services(context).settings.admin_user_ids


def safe_name(file_name: str | None) -> str:
    """A plain file name for the corpus folder: the last path part only, NFC, no control
    or separator characters, not hidden, at most 120 characters, its suffix kept."""
    name = unicodedata.normalize("NFC", file_name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c if c.isprintable() and c not in '<>:"|?*' else "_" for c in name)
    name = name.strip().lstrip(".").strip()
    stem, suffix = os.path.splitext(name)
    stem = stem[: _NAME_MAX - len(suffix)].strip() or "tai-lieu"
    return stem + suffix.lower()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def place(corpus: Path, name: str, staged: Path) -> tuple[Path, bool]:
    """Move `staged` into `corpus` as `name`, or as "stem (2).ext"… when a different file
    has that name; (path, False) when an identical file is already there. Hard links make
    each try atomic: an existing file is never replaced."""
    stem, suffix = os.path.splitext(name)
    digest = _digest(staged)
    for number in range(1, 1000):
        target = corpus / (name if number == 1 else f"{stem} ({number}){suffix}")
        try:
            os.link(staged, target)
        except FileExistsError:
            if target.is_file() and _digest(target) == digest:
                return target, False
            continue
        return target, True
    raise FileExistsError(f"too many files named like {name} in {corpus}")


def _reopen(engine: Engine, corpus: Path, index: Path | None) -> None:
    # Only the new or removed document is applied (see retrieval.index.writer); swapped into
    # the serving engine in place, which the corpus watcher also keeps current.
    engine.swap(Engine.open(corpus, index, notice=lambda m: logger.info("%s", m)).index)


def _lock(context: ContextTypes.DEFAULT_TYPE) -> asyncio.Lock:
    return context.bot_data.setdefault("uploads_lock", asyncio.Lock())


def _example_question(engine: Engine, doc_id: str, title: str, sentences: list[str]) -> str:
    """A question about the document that the engine answers from it."""
    candidates = [f"{title} như thế nào?"]
    for sentence in sentences[:5]:
        words = sentence.rstrip(".!?…").split()
        if len(words) >= 4:
            candidates.append(" ".join(words[: min(len(words), 10)]) + " là gì?")
    for question in candidates:
        answer = engine.ask(question)
        if any(c.document.doc_id == doc_id for c in answer.sentences):
            return question
    return candidates[0]


async def _admin_corpus(
    message: Message, update: Update, context: ContextTypes.DEFAULT_TYPE
) -> Path | None:
    """The corpus folder when an administrator may change it; else None, the sender told why."""
    if not is_admin(update, context):
        await _reply(message, _text(NOT_ADMIN))
        return None
    corpus = services(context).settings.corpus
    if corpus is None:
        await _reply(message, _text(NO_CORPUS))
    return corpus


async def upload_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Check, save, index and describe a document an administrator sent."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    corpus = await _admin_corpus(message, update, context)
    if corpus is None:
        return
    svc = services(context)
    name = safe_name(message.document.file_name)
    if os.path.splitext(name)[1] not in SUFFIXES:
        await _reply(message, _text(UNSUPPORTED))
        return
    if (message.document.file_size or 0) > MAX_UPLOAD_BYTES:
        await _reply(message, _text(TOO_LARGE))
        return
    async with _lock(context):
        # Staged under a hidden name inside the corpus (not indexed, same file system).
        with tempfile.TemporaryDirectory(prefix=".hoidap-upload-", dir=corpus) as folder:
            staged = Path(folder, name)
            telegram_file = await message.document.get_file()
            await telegram_file.download_to_drive(staged)
            if staged.stat().st_size > MAX_UPLOAD_BYTES:
                await _reply(message, _text(TOO_LARGE))
                return
            try:
                await asyncio.to_thread(extract, staged)
            except Unreadable as exc:
                logger.info("refused an upload: %s", exc)
                await _reply(
                    message,
                    _text(
                        "Không thêm được tệp này: bot không đọc được nội dung của nó "
                        "(tệp hỏng, có mật khẩu, là bản quét không có chữ hoặc sai định dạng).",
                        f"Chi tiết: {exc}",
                    ),
                )
                return
            path, added = place(corpus, name, staged)
        parsed = await asyncio.to_thread(read_document, path, corpus)
        await asyncio.to_thread(_reopen, svc.engine, corpus, svc.settings.index)
    if parsed is None:  # readable a moment ago; changed on disk since
        await _reply(message, _text("Không đọc được tệp sau khi lưu. Hãy thử gửi lại."))
        return
    document = parsed.document
    size = f"{len(document.pages)} trang" if document.pages else f"{len(parsed.sentences)} câu"
    question = await asyncio.to_thread(
        _example_question,
        svc.engine,
        document.doc_id,
        document.title,
        [s.text for s in parsed.sentences],
    )
    first = "Đã thêm tài liệu" if added else "Tài liệu này đã có sẵn"
    await _reply(
        message,
        [
            [Span(f"{first}: "), Span(document.title, "b")],
            [Span(f"Tệp {path.name}, {size}. Mã tài liệu: {document.doc_id}")],
            [Span("Ví dụ một câu hỏi: "), Span(question, "i")],
        ],
    )


async def remove_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/xoa DOC_ID or file name: move the document's file aside and update the index."""
    message = update.effective_message
    if message is None:
        return
    corpus = await _admin_corpus(message, update, context)
    if corpus is None:
        return
    svc = services(context)
    wanted = " ".join(context.args or []).strip()
    if not wanted:
        await _reply(message, _text(REMOVE_USAGE))
        return
    async with _lock(context):
        found = [d for d in svc.engine.documents if wanted in (d.doc_id, d.path.name)]
        root = corpus.resolve()
        found = [d for d in found if d.path.resolve().is_relative_to(root)]
        if not found or not found[0].path.is_file():
            await _reply(message, _text(f"Không tìm thấy tài liệu «{wanted}». Xem /tailieu."))
            return
        document = found[0]
        aside = corpus / REMOVED_FOLDER
        aside.mkdir(exist_ok=True)
        target = aside / f"{time.strftime('%Y%m%d-%H%M%S')}-{document.path.name}"
        document.path.rename(target)
        await asyncio.to_thread(_reopen, svc.engine, corpus, svc.settings.index)
    await _reply(
        message,
        _text(
            f"Đã xoá tài liệu «{document.title}» khỏi bộ tài liệu.",
            f"Tệp được giữ lại trong thư mục {REMOVED_FOLDER}/ của thư mục tài liệu.",
        ),
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add the upload and /xoa handlers; call before the handlers they must precede
    (the bot's reply to non-text messages and to unknown commands)."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    application.add_handlers(
        [
            MessageHandler(private & filters.Document.ALL, upload_document),
            CommandHandler("xoa", remove_document),
        ]
    )
