"""`hoidap bot` when things go wrong: kill -9 with questions pending and a token revoked while
it runs (a real subprocess), a token rejected and a Bot API unreachable at start-up."""

import asyncio
import logging
import signal
from collections import Counter
from pathlib import Path

from bot_fixtures import make_settings
from test_bot_service import HOIDAP, QUESTION, clean_env

from bot.app import make_service

pytest_plugins = ["bot_fixtures"]


async def start_hoidap(telegram, index_path: Path, state: Path, **env: str):
    return await asyncio.create_subprocess_exec(
        str(HOIDAP),
        "bot",
        "--index",
        str(index_path),
        cwd=state.parent,
        env=clean_env(
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_BASE_URL=telegram.base_url,
            HOIDAP_STATE_DIR=str(state),
            HOIDAP_HEALTH_PORT=env.pop("HOIDAP_HEALTH_PORT", "0"),
            HOIDAP_LOG_LEVEL="DEBUG",
            **env,
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_kill_9_with_questions_pending_then_restart_answers_each_once_then_revoked(
    telegram, index_path, engine, tmp_path
):
    state = tmp_path / "state"
    before, pending = range(2001, 2006), range(3001, 3021)
    process = await start_hoidap(telegram, index_path, state)
    try:
        await telegram.wait_for("setMyCommands", timeout=30)
        for user in before:
            telegram.message(QUESTION, user_id=user)
        await telegram.wait_for(count=len(before))
        # Answers now get lost on the way: the questions are confirmed to Telegram, their
        # answers wait in the outbox when the process is killed.
        telegram.stall("sendMessage")
        asked = [telegram.message(QUESTION, user_id=user) for user in pending]
        while telegram.offset <= asked[-1]["update_id"]:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
    finally:
        process.kill()
        await process.communicate()
    assert process.returncode == -signal.SIGKILL
    telegram.unstall()
    restarted = await start_hoidap(telegram, index_path, state)
    try:
        replies = await telegram.wait_for(count=len(before) + len(pending), timeout=30)
        await telegram.quiet(1.0)
    finally:
        # Then the token is revoked while it runs: one line, exit 2, no restart by systemd.
        telegram.revoke()
        out, err = await asyncio.wait_for(restarted.communicate(), 20)
    assert Counter(int(r["chat_id"]) for r in telegram.sent()) == dict.fromkeys(
        [*before, *pending], 1
    )
    assert all("Lê Hoài Trung" in r["text"] for r in replies)
    assert restarted.returncode == 2
    log = err.decode()
    for output in (out.decode(), log):
        assert telegram.token not in output and telegram.token.split(":")[1] not in output
    assert "Traceback" not in log
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "rejected the bot token" in errors[0]


async def test_a_token_rejected_at_start_up_is_one_line_and_status_2(
    telegram, engine, tmp_path, caplog
):
    telegram.revoke()
    settings = make_settings(telegram, state_dir=tmp_path / "state")
    service = make_service(settings, engine)
    try:
        status = await asyncio.wait_for(service.run(), 10)
    finally:
        service.store.close()
    assert status == 2
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "rejected the bot token" in errors[0].getMessage()
    assert errors[0].exc_info is None
    # The fake server's and httpx's request lines carry the token; in `hoidap bot` they are
    # silenced or redacted (see the subprocess test above). The bot's own lines never do.
    own = [r.getMessage() for r in caplog.records if r.name.startswith(("bot", "telegram"))]
    assert all(telegram.token not in line for line in own)


async def test_an_unreachable_bot_api_at_start_up_is_retried_and_shown_in_health(
    telegram, engine, tmp_path, caplog
):
    await telegram.go_down()
    service = make_service(make_settings(telegram, state_dir=tmp_path / "state"), engine)
    running = asyncio.create_task(service.run())
    try:
        while service.health.attempts < 2:
            await asyncio.sleep(0.05)
        report = service.health.report()
        await telegram.come_up()
        await asyncio.wait_for(service.ready.wait(), 10)
        telegram.message(QUESTION)
        (reply,) = await telegram.wait_for(timeout=10)
        healthy = service.health.report()
    finally:
        service.stop()
        await running
        service.store.close()
    assert report["status"] == "unavailable" and report["telegram_last_error"] == "NetworkError"
    assert "Telegram not reached since start-up" in report["reasons"][0]
    assert healthy["status"] == "ok" and "Lê Hoài Trung" in reply["text"]
    retries = [r for r in caplog.records if "not reachable at start-up" in r.getMessage()]
    assert len(retries) == 2 and all(r.exc_info is None for r in retries)
