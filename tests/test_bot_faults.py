"""Telegram on a bad day, through the fake Bot API server's injected faults: every question
answered exactly once, nothing retried that cannot succeed, and no apology after an answer."""

import asyncio
import logging
import time
from collections import Counter

from bot.handlers import APOLOGY, BUSY, EXPIRED
from bot.health import Health

pytest_plugins = ["bot_fixtures"]

QUESTION = "Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV tại Bộ Ngoại giao?"


def per_chat(telegram) -> Counter:
    return Counter(int(params["chat_id"]) for params in telegram.sent())


def metric(service, name: str, **labels: str) -> float:
    return service.metrics.registry.get_sample_value(name, labels or None) or 0.0


async def test_refused_connections_during_a_burst_each_question_answered_once(
    telegram, start_bot, caplog
):
    caplog.set_level(logging.INFO, logger="bot")
    users = range(5001, 5061)
    async with start_bot() as service:
        for user in users[:30]:
            telegram.message(QUESTION, user_id=user)
        await telegram.wait_for(count=5)
        await telegram.go_down()
        for user in users[30:]:
            telegram.message(QUESTION, user_id=user)
        await asyncio.sleep(1.5)
        await telegram.come_up()
        await telegram.wait_for(count=len(users), timeout=20)
        await telegram.quiet(0.3)
        assert per_chat(telegram) == dict.fromkeys(users, 1)
        assert metric(service, "hoidap_polling_errors_total") >= 1
        assert metric(service, "hoidap_errors_total") == 0
        assert metric(service, "hoidap_sends_total", outcome="delivered") == len(users)
        assert metric(service, "hoidap_answered_total") == len(users)
    # The outage is one warning line (no traceback) and one line when it is over.
    warnings = [r for r in caplog.records if r.name.startswith("bot") and r.levelno >= 30]
    assert len(warnings) == 1 and warnings[0].exc_info is None
    assert sum("reachable again" in r.getMessage() for r in caplog.records) == 1


async def test_server_errors_and_429_on_both_sides_are_retried_without_apology(telegram, start_bot):
    telegram.fail("getUpdates", 500, "Internal Server Error", times=2)
    telegram.fail("sendMessage", 500, "Internal Server Error")
    telegram.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    async with start_bot() as service:
        telegram.message(QUESTION)
        await telegram.wait_for(count=3)
        await telegram.quiet(0.3)
        assert metric(service, "hoidap_sends_total", outcome="retried") == 2
        assert metric(service, "hoidap_polling_errors_total") == 2
        assert metric(service, "hoidap_errors_total") == 0
    *_, delivered = telegram.sent()
    assert len(telegram.sent()) == 3 and "Lê Hoài Trung" in delivered["text"]


async def test_a_stalled_send_is_retried_and_arrives_once(telegram, start_bot):
    telegram.stall("sendMessage", times=1)
    async with start_bot(telegram_timeout_seconds=1) as service:
        telegram.message(QUESTION)
        (reply,) = await telegram.wait_for(timeout=15)
        await telegram.quiet(0.3)
        assert metric(service, "hoidap_sends_total", outcome="retried") == 1
        assert metric(service, "hoidap_update_to_answer_seconds_count") == 1
    telegram.unstall()
    assert len(telegram.sent()) == 1 and "Lê Hoài Trung" in reply["text"]


async def test_a_blocked_user_is_not_retried_and_gets_no_apology(telegram, start_bot):
    telegram.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    async with start_bot() as service:
        telegram.message(QUESTION, user_id=7001)
        await telegram.wait_for()
        telegram.message(QUESTION, user_id=7002)
        await telegram.wait_for(count=2)
        await telegram.quiet(0.3)
        assert metric(service, "hoidap_sends_total", outcome="failed") == 1
        assert metric(service, "hoidap_sends_total", outcome="retried") == 0
        assert metric(service, "hoidap_answered_total") == 1
    assert per_chat(telegram) == {7001: 1, 7002: 1}
    assert all(APOLOGY not in params["text"] for params in telegram.sent())


async def test_a_redelivered_update_is_answered_once(telegram, start_bot):
    async with start_bot():
        asked = telegram.message(QUESTION)
        await telegram.wait_for()
        await asyncio.sleep(0.3)
        telegram.redeliver(asked)
        telegram.message("Giá vàng hôm nay bao nhiêu?")
        await telegram.wait_for(count=2)
        await telegram.quiet(0.3)
    assert len(telegram.sent()) == 2


async def test_an_unreadable_update_is_skipped_once_without_its_text(telegram, start_bot, caplog):
    # Users' text may show at DEBUG (python-telegram-bot logs API results there), never above.
    caplog.set_level(logging.INFO)
    async with start_bot() as service:
        telegram.message("Bí mật của Lan", extra={"date": "không phải ngày"})
        telegram.message(QUESTION)
        (reply,) = await telegram.wait_for()
        await telegram.quiet(0.3)
        assert metric(service, "hoidap_updates_skipped_total") == 1
    skipped = [r for r in caplog.records if "could not be read" in r.getMessage()]
    assert len(skipped) == 1
    assert "Bí mật" not in caplog.text
    assert "Lê Hoài Trung" in reply["text"]


async def test_malformed_callback_data_is_acknowledged_as_expired(telegram, start_bot):
    message = {"message_id": 1, "date": 0, "chat": {"id": 1001, "type": "private"}, "text": "…"}
    async with start_bot() as service:
        for data in ("p:²:1", "p:1:²", "x", "m:99999999999999999999", "p:1"):
            telegram.callback(data, message=message)
        answers = await telegram.wait_for("answerCallbackQuery", count=5)
        assert metric(service, "hoidap_errors_total") == 0
    assert all(params["text"] == EXPIRED for params in answers)


async def test_an_old_question_is_answered_with_a_late_note(telegram, start_bot):
    async with start_bot():
        telegram.message(QUESTION, extra={"date": int(time.time()) - 600})
        (reply,) = await telegram.wait_for()
    assert "trả lời muộn" in reply["text"] and "10 phút" in reply["text"]
    assert "Lê Hoài Trung" in reply["text"]


async def test_past_the_backlog_bound_one_busy_reply_and_health_says_why(telegram, start_bot):
    users = range(6001, 6081)
    telegram.stall("sendMessage")
    async with start_bot(backlog_max_age_seconds=0.5, telegram_timeout_seconds=5) as service:
        for user in users:
            telegram.message(QUESTION, user_id=user)
        await asyncio.sleep(1.5)
        reasons = service.health.reasons()
        assert any("oldest question has waited" in reason for reason in reasons)
        assert service.metrics.backlog._value.get() == len(users)
        telegram.unstall()
        replies = await telegram.wait_for(count=len(users), timeout=20)
        await telegram.quiet(0.3)
    busy = [r for r in replies if r["text"] == BUSY]
    assert 1 <= len(busy) < len(users)
    assert per_chat(telegram) == dict.fromkeys(users, 1)


def test_an_answer_to_a_call_made_before_the_outage_does_not_end_it():
    health = Health()
    sent_at = time.time() - 1
    assert health.failed(ConnectionError())
    assert health.contacted(sent_at) is None
    assert health.failing_since is not None and not health.failed(ConnectionError())
    assert health.contacted(time.time()) is not None
    assert health.failing_since is None


def test_health_is_unavailable_when_telegram_is_silent_or_the_token_rejected():
    health = Health(silence_limit=60, backlog_bound=10)
    health.index_loaded(5)
    assert health.reasons() == []
    health.started -= 120
    assert health.reasons() == ["Telegram not reached for 120 s"]
    health.contacted()
    health.token_rejected = True
    assert health.reasons() == ["Telegram rejected the bot token"]
