"""The buttons under an answer (the passage around a citation, more results) and inline mode
(`@bot question` in any chat)."""

import asyncio

from telegram import InlineQueryResultArticle, InputTextMessageContent, Message, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.formatting import (
    CITATION_GONE,
    NOT_FOUND,
    Span,
    answer_lines,
    passage_lines,
    search_lines,
    to_html,
)
from bot.handlers import _NUMBER, EXPIRED, _reply, services
from retrieval import Answer


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the passage around a citation, or more passages for the question."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    svc = services(context)
    kind, _, rest = query.data.partition(":")
    key_text, _, number_text = rest.partition(":")
    answer = svc.answers.get(int(key_text)) if _NUMBER.fullmatch(key_text) else None
    number = int(number_text) if _NUMBER.fullmatch(number_text) else 0
    message = query.message
    cited = len(answer.sentences) if answer else 0
    malformed = kind not in ("p", "m") or (kind == "p" and not 1 <= number <= cited)
    if answer is None or malformed or not isinstance(message, Message):
        await query.answer(EXPIRED, show_alert=True)
        return
    await query.answer()
    if kind == "p":
        citation = answer.sentences[number - 1]
        hit = await asyncio.to_thread(svc.engine.cited_passage, citation)
        if hit is None:
            await _reply(message, [[Span(CITATION_GONE)]])
        else:
            await _reply(message, passage_lines(hit, f"[{number}]", highlight=citation))
    else:
        hits = await asyncio.to_thread(svc.engine.search, answer.question, 5)
        await _reply(message, search_lines(answer.question, hits))


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the answer to `@bot question` as inline results: the whole answer first,
    then each cited sentence on its own."""
    query = update.inline_query
    if query is None:
        return
    question = query.query.strip()
    svc = services(context)
    if not question or len(question) > svc.settings.max_question_chars:
        await query.answer([], cache_time=0)
        return
    # Not counted in the metrics: Telegram sends a query for every pause while typing.
    answer = await asyncio.to_thread(svc.engine.ask, question, svc.settings.answer_sentences)
    whole = InlineQueryResultArticle(
        id="answer",
        title=question if answer.answered else NOT_FOUND,
        description=answer.sentences[0].text if answer.answered else answer.hint,
        input_message_content=InputTextMessageContent(
            to_html(answer_lines(answer))[0], parse_mode=ParseMode.HTML
        ),
    )
    singles = [
        InlineQueryResultArticle(
            id=f"s{n}",
            title=citation.document.title,
            description=citation.text,
            input_message_content=InputTextMessageContent(
                to_html(answer_lines(Answer(question, True, [citation])))[0],
                parse_mode=ParseMode.HTML,
            ),
        )
        for n, citation in enumerate(answer.sentences, start=1)
    ]
    await query.answer([whole, *singles], cache_time=60)
