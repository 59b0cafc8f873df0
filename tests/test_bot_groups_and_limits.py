"""Groups, inline mode, limits, failures and long replies, through the fake Bot API server."""

import re
import time
from html.parser import HTMLParser

import pytest

from retrieval import Engine

pytest_plugins = ["bot_fixtures"]

QUESTION = "Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV tại Bộ Ngoại giao?"
GROUP = -100200300


def mention(text: str, handle: str) -> list[dict[str, object]]:
    return [{"type": "mention", "offset": text.index(handle), "length": len(handle)}]


async def test_group_answers_only_when_mentioned_replied_to_or_commanded(telegram, start_bot):
    bot_user = telegram.bot_user
    handle = f"@{bot_user['username']}"
    async with start_bot():
        telegram.message(QUESTION, chat_id=GROUP, chat_type="supergroup")
        await telegram.quiet()
        assert telegram.sent() == []

        text = f"{handle} {QUESTION}"
        asked = telegram.message(
            text, chat_id=GROUP, chat_type="supergroup", entities=mention(text, handle)
        )
        (by_mention,) = await telegram.wait_for()

        bot_said = {
            "message_id": 7,
            "date": 0,
            "chat": {"id": GROUP, "type": "supergroup"},
            "from": bot_user,
            "text": "…",
        }
        telegram.message(
            "Giá vàng hôm nay bao nhiêu?", chat_id=GROUP, chat_type="supergroup", reply_to=bot_said
        )
        telegram.command(f"/hoi{handle} {QUESTION}", chat_id=GROUP, chat_type="supergroup")
        replies = await telegram.wait_for(count=3)
    assert "Lê Hoài Trung" in by_mention["text"]
    assert by_mention["reply_parameters"]["message_id"] == asked["message"]["message_id"]
    assert any("Không tìm thấy" in r["text"] for r in replies[1:])
    assert any("Lê Hoài Trung" in r["text"] for r in replies[1:])


async def test_typing_only_for_a_slow_answer_and_a_failing_one_costs_nothing(
    telegram, start_bot, engine, monkeypatch
):
    telegram.fail_always("sendChatAction", 400, "Bad Request: not enough rights")
    async with start_bot():
        telegram.message(QUESTION)
        (quick,) = await telegram.wait_for()
        assert telegram.sent("sendChatAction") == []
        real_ask = engine.ask

        def slow_ask(question: str, max_sentences: int = 3):
            time.sleep(0.8)
            return real_ask(question, max_sentences)

        monkeypatch.setattr(engine, "ask", slow_ask)
        telegram.message(QUESTION)
        _, slow = await telegram.wait_for(count=2)
    assert len(telegram.sent("sendChatAction")) == 1
    assert "Lê Hoài Trung" in quick["text"] and "Lê Hoài Trung" in slow["text"]


async def test_per_user_question_limit_is_polite_and_per_user(telegram, start_bot):
    async with start_bot(questions_per_window=2, question_window_seconds=60):
        for _ in range(3):
            telegram.message(QUESTION, user_id=1001)
        telegram.message(QUESTION, user_id=2002)
        replies = await telegram.wait_for(count=4)
    to_first = [r["text"] for r in replies if r["chat_id"] == "1001"]
    to_second = [r["text"] for r in replies if r["chat_id"] == "2002"]
    assert sum("Lê Hoài Trung" in t for t in to_first) == 2
    assert sum("vui lòng đợi" in t for t in to_first) == 1
    assert "Lê Hoài Trung" in to_second[0]


async def test_allowlist_turns_away_other_users(telegram, start_bot):
    async with start_bot(allowed_user_ids={1001}):
        telegram.message(QUESTION, user_id=2002)
        (refusal,) = await telegram.wait_for()
        telegram.message(QUESTION, user_id=1001)
        _, answer = await telegram.wait_for(count=2)
    assert refusal["chat_id"] == "2002" and "được cấp quyền" in refusal["text"]
    assert answer["chat_id"] == "1001" and "Lê Hoài Trung" in answer["text"]


async def test_stickers_and_overlong_questions_get_a_hint(telegram, start_bot):
    async with start_bot(max_question_chars=100):
        telegram.message(
            extra={
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "s",
                    "type": "regular",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                }
            }
        )
        (hint,) = await telegram.wait_for()
        telegram.message("Đại hội " * 30)
        _, refusal = await telegram.wait_for(count=2)
    assert "bằng chữ" in hint["text"]
    assert "dưới 100 ký tự" in refusal["text"]


async def test_failing_handler_apologises_and_the_bot_keeps_answering(
    telegram, start_bot, engine, monkeypatch
):
    real_ask = engine.ask
    calls = []

    def ask_once_broken(question: str, max_sentences: int = 3):
        calls.append(question)
        if len(calls) == 1:
            raise RuntimeError("index exploded")
        return real_ask(question, max_sentences)

    monkeypatch.setattr(engine, "ask", ask_once_broken)
    async with start_bot():
        telegram.message(QUESTION)
        (apology,) = await telegram.wait_for()
        telegram.message(QUESTION)
        _, answer = await telegram.wait_for(count=2)
    assert "Xin lỗi" in apology["text"]
    assert "Lê Hoài Trung" in answer["text"]


async def test_flood_limit_and_server_errors_are_retried(telegram, start_bot):
    telegram.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    telegram.fail("sendMessage", 502, "Bad Gateway")
    async with start_bot():
        telegram.message(QUESTION)
        await telegram.wait_for(count=3)
    *_, delivered = telegram.sent()
    assert "Lê Hoài Trung" in delivered["text"]


async def test_inline_query_returns_the_answer_as_results(telegram, start_bot):
    async with start_bot():
        telegram.inline(QUESTION)
        (answered,) = await telegram.wait_for("answerInlineQuery")
    first = answered["results"][0]
    assert first["type"] == "article"
    assert "Lê Hoài Trung" in first["input_message_content"]["message_text"]
    assert first["input_message_content"]["parse_mode"] == "HTML"


class _TagBalance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag


@pytest.fixture(scope="module")
def long_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A corpus whose answers are long: a dozen sentences of ~700 characters on one topic."""
    corpus = tmp_path_factory.mktemp("long")
    words = "người dân thành phố đi dạo buổi sáng cùng gia đình ngắm mặt nước cây xanh".split()
    sentences = [
        f"Hồ Gươm mùa thu năm {2000 + n} có "
        + " ".join(words[(n + i) % len(words)] for i in range(150))
        + "."
        for n in range(12)
    ]
    (corpus / "ho-guom.txt").write_text("Hồ Gươm mùa thu\n\n" + " ".join(sentences) + "\n")
    return Engine.open(corpus, tmp_path_factory.mktemp("long-index") / "index")


async def test_long_answer_is_split_between_sentences(telegram, start_bot, long_engine):
    async with start_bot(corpus_engine=long_engine, answer_sentences=10):
        telegram.message("Hồ Gươm mùa thu có gì?")
        await telegram.wait_for()
        await telegram.quiet(0.5)
    parts = [p["text"] for p in telegram.sent()]
    assert len(parts) >= 2
    for part in parts:
        assert len(part) <= 4096
        balance = _TagBalance()
        balance.feed(part)
        assert balance.open == []
    # Every quoted sentence arrives whole, inside one message.
    for sentence in re.findall(r"Hồ Gươm mùa thu năm \d+ có [^.]*\.", "\n".join(parts)):
        assert any(sentence in part for part in parts)
    assert sum("reply_markup" in p for p in telegram.sent()) == 1
    assert "reply_markup" in telegram.sent()[-1]
