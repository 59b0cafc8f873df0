"""Talking to the bot in a private chat, through the fake Bot API server."""

from typing import Any

# Fixtures (telegram, start_bot, engine) come from the fake Bot API server module.
pytest_plugins = ["bot_fixtures"]

QUESTION = "Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV tại Bộ Ngoại giao?"
CHAIR_SENTENCES = (
    "Ông Lê Hoài Trung, Bí thư Trung ương Đảng, Bộ trưởng Ngoại giao chủ trì cuộc họp.",
    "Ngày 31/12, tại trụ sở Bộ Ngoại giao, Bí thư Trung ương Đảng, Bộ trưởng Ngoại giao "
    "Lê Hoài Trung chủ trì cuộc họp",
)


def buttons(params: dict[str, Any]) -> list[dict[str, str]]:
    return [b for row in params["reply_markup"]["inline_keyboard"] for b in row]


async def test_start_welcomes_with_examples_and_registers_commands(telegram, start_bot):
    async with start_bot():
        commands = await telegram.wait_for("setMyCommands")
        telegram.command("/start")
        (reply,) = await telegram.wait_for()
    names = {c["command"] for c in commands[0]["commands"]}
    assert {"start", "help", "hoi", "timkiem", "tailieu"} <= names
    assert "Xin chào" in reply["text"]
    assert "Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV?" in reply["text"]
    assert reply["parse_mode"] == "HTML"


async def test_question_is_answered_with_cited_sentence_and_source(telegram, start_bot):
    async with start_bot():
        telegram.message(QUESTION)
        (reply,) = await telegram.wait_for()
    text = reply["text"]
    assert any(sentence in text for sentence in CHAIR_SENTENCES)
    assert "[1]" in text
    assert "Nguồn:" in text
    assert "Bộ Ngoại giao họp triển khai công tác phục vụ Đại hội XIV của Đảng" in text
    assert "01/01/2026" in text and "000_a161d4bec09452eb.txt" in text
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(reply))
    assert any("Đoạn văn [1]" in b["text"] for b in buttons(reply))


async def test_unanswerable_question_says_not_found(telegram, start_bot):
    async with start_bot():
        telegram.message("Giá vàng hôm nay bao nhiêu?")
        (reply,) = await telegram.wait_for()
    assert "Không tìm thấy câu trả lời trong tài liệu." in reply["text"]
    assert "[1]" not in reply["text"]


async def test_user_text_is_escaped_in_html(telegram, start_bot):
    async with start_bot():
        telegram.message("Giá vàng <b>& bạc</b> hôm nay?")
        (reply,) = await telegram.wait_for()
    assert "Giá vàng &lt;b&gt;&amp; bạc&lt;/b&gt; hôm nay?" in reply["text"]
    assert "<b>&" not in reply["text"]


async def test_passage_button_shows_the_passage_around_the_citation(telegram, start_bot):
    async with start_bot():
        telegram.message(QUESTION)
        (answer,) = await telegram.wait_for()
        passage_button = next(b for b in buttons(answer) if "[1]" in b["text"])
        telegram.callback(passage_button["callback_data"], message=bot_message(answer))
        await telegram.wait_for("answerCallbackQuery")
        _, passage = await telegram.wait_for(count=2)
    assert "Bộ Ngoại giao họp triển khai" in passage["text"]
    # Citation [1] is the chair sentence quoted first in the answer.
    quoted = [s for s in CHAIR_SENTENCES if s in answer["text"]]
    cited = min(quoted, key=answer["text"].index)
    assert f"<b>{cited}" in passage["text"]


async def test_more_results_button_lists_passages(telegram, start_bot):
    async with start_bot():
        telegram.message(QUESTION)
        (answer,) = await telegram.wait_for()
        more = next(b for b in buttons(answer) if "Thêm" in b["text"])
        telegram.callback(more["callback_data"], message=bot_message(answer))
        _, results = await telegram.wait_for(count=2)
    assert "Các đoạn văn liên quan nhất" in results["text"]
    assert "[1]" in results["text"] and "[2]" in results["text"]


async def test_search_and_documents_commands(telegram, start_bot):
    async with start_bot():
        telegram.command("/timkiem Đại hội XIV")
        (found,) = await telegram.wait_for()
        telegram.command("/tailieu")
        _, documents = await telegram.wait_for(count=2)
    assert "Đại hội XIV" in found["text"]
    assert "Có 5 tài liệu" in documents["text"]
    assert "Hội nghị trực tuyến về công tác thông tin đối ngoại" in documents["text"]


def bot_message(sent: dict[str, Any]) -> dict[str, Any]:
    """The message as Telegram would show it in a callback query."""
    return {
        "message_id": 5000,
        "date": 0,
        "chat": {"id": int(sent["chat_id"]), "type": "private", "first_name": "Lan"},
        "text": sent["text"],
        "reply_markup": sent["reply_markup"],
    }
