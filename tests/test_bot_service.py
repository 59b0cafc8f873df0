"""The bot as an administrator runs it: `hoidap bot` against a Bot API server, settings,
health and metrics, and `hoidap chat` in a terminal."""

import asyncio
import io
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from bot.app import EXAMPLE_CANDIDATES, example_questions
from bot.cli import main
from bot.config import SettingsError, load_settings
from bot.health import Health, Metrics, MonitoringServer
from retrieval import Answer, Document

pytest_plugins = ["bot_fixtures"]

QUESTION = "Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV tại Bộ Ngoại giao?"
HOIDAP = Path(sys.executable).with_name("hoidap")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "HOIDAP_"))}
    return env | extra


async def test_hoidap_bot_answers_through_a_bot_api_server_and_stops_on_sigterm(
    telegram, index_path, engine, tmp_path
):
    health_port = free_port()
    process = await asyncio.create_subprocess_exec(
        str(HOIDAP),
        "bot",
        "--index",
        str(index_path),
        cwd=tmp_path,
        env=clean_env(
            HOIDAP_STATE_DIR=str(tmp_path / "state"),
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_BASE_URL=telegram.base_url,
            HOIDAP_HEALTH_PORT=str(health_port),
            HOIDAP_LOG_LEVEL="DEBUG",
        ),
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await telegram.wait_for("setMyCommands", timeout=30)
        telegram.message(QUESTION)
        (reply,) = await telegram.wait_for()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{health_port}") as client:
            health = (await client.get("/health")).json()
            metrics = (await client.get("/metrics")).text
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert "Lê Hoài Trung" in reply["text"] and "[1]" in reply["text"]
    assert health["index_loaded"] is True and health["documents"] == 5
    assert health["last_telegram_contact"] is not None
    assert "hoidap_questions_total 1.0" in metrics
    assert "hoidap_answered_total 1.0" in metrics
    assert "hoidap_answer_latency_seconds_count 1.0" in metrics
    assert process.returncode == 0
    log = stderr.decode()
    assert "Application started" in log
    assert telegram.token not in log
    assert telegram.tokens == {telegram.token}


def test_missing_or_malformed_token_is_one_clear_line_and_exit_2(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "HOIDAP_")):
            monkeypatch.delenv(name)
    assert main(["bot"]) == 2
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "paste-your-token-here")
    assert main(["bot"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert all("TELEGRAM_BOT_TOKEN is missing or malformed" in line for line in lines)


def test_settings_come_from_dotenv(monkeypatch, tmp_path, telegram):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "HOIDAP_")):
            monkeypatch.delenv(name)
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={telegram.token}\n"
        "HOIDAP_ALLOWED_USER_IDS=11, 22\n"
        "HOIDAP_WEBHOOK_URL=\n"
        "HOIDAP_EXAMPLES=Ai chủ trì cuộc họp? | Hội nghị diễn ra ở đâu?\n"
    )
    settings = load_settings()
    assert settings.allowed_user_ids == {11, 22}
    assert settings.webhook_url is None
    assert settings.examples == ["Ai chủ trì cuộc họp?", "Hội nghị diễn ra ở đâu?"]
    assert telegram.token not in repr(settings)
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={telegram.token}\nHOIDAP_HEALTH_PORT=x\n")
    with pytest.raises(SettingsError, match="HOIDAP_HEALTH_PORT"):
        load_settings()


async def test_health_is_unavailable_until_the_index_is_loaded():
    health = Health()
    server = MonitoringServer("127.0.0.1", 0, health, Metrics())
    server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            before = await client.get("/health")
            health.index_loaded(5)
            after = await client.get("/health")
    finally:
        server.stop()
    assert before.status_code == 503 and before.json()["index_loaded"] is False
    assert after.status_code == 200 and after.json()["documents"] == 5


def test_chat_answers_in_the_terminal_as_plain_text(monkeypatch, capsys, index_path, engine):
    typed = f"{QUESTION}\n/doan 1\nGiá vàng hôm nay bao nhiêu?\n/thoat\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    assert main(["chat", "--index", str(index_path)]) == 0
    out = capsys.readouterr().out
    assert "Lê Hoài Trung" in out and "[1]" in out and "Nguồn:" in out
    assert "Không tìm thấy câu trả lời trong tài liệu." in out
    assert "<b>" not in out


def test_env_example_with_only_a_token_gives_the_defaults(monkeypatch, tmp_path, telegram):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "HOIDAP_")):
            monkeypatch.delenv(name)
    example = (Path(__file__).parent.parent / ".env.example").read_text()
    (tmp_path / ".env").write_text(
        example.replace("TELEGRAM_BOT_TOKEN=\n", f"TELEGRAM_BOT_TOKEN={telegram.token}\n")
    )
    settings = load_settings()
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.webhook_url is None and settings.health_port == 8088
    assert settings.max_question_chars == 500


async def test_webhook_checks_the_secret_deduplicates_and_refuses_bad_bodies(
    telegram, index_path, engine, tmp_path
):
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--index",
        str(index_path),
        cwd=tmp_path,
        env=clean_env(
            HOIDAP_STATE_DIR=str(tmp_path / "state"),
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_BASE_URL=telegram.base_url,
            HOIDAP_WEBHOOK_URL=f"http://127.0.0.1:{port}/hoidap",
            HOIDAP_WEBHOOK_PORT=str(port),
            HOIDAP_HEALTH_PORT=str(free_port()),
            # The secret is made at start-up; even at DEBUG it must not be logged.
            HOIDAP_LOG_LEVEL="DEBUG",
        ),
        stderr=asyncio.subprocess.PIPE,
    )
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1001, "type": "private", "first_name": "Lan"},
            "from": {"id": 1001, "is_bot": False, "first_name": "Lan"},
            "text": QUESTION,
        },
    }
    try:
        (registered,) = await telegram.wait_for("setWebhook", timeout=30)
        await telegram.wait_for("setMyCommands")
        secret = {"X-Telegram-Bot-Api-Secret-Token": registered["secret_token"]}
        # Generous timeouts: the machine running the tests may be heavily loaded.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            forged = await client.post(
                "/hoidap", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "sai"}
            )
            genuine = await client.post("/hoidap", json=update, headers=secret)
            again = await client.post("/hoidap", json=update, headers=secret)
            not_json = await client.post("/hoidap", content=b'{"update_id": 2,', headers=secret)
            not_object = await client.post("/hoidap", content=b'["Bi mat cua Lan"]', headers=secret)
            huge = await client.post(
                "/hoidap", content=b'{"x": "' + b"a" * 10_000_000 + b'"}', headers=secret
            )
        (reply,) = await telegram.wait_for(timeout=30)
        await telegram.quiet(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert registered["url"] == f"http://127.0.0.1:{port}/hoidap"
    assert len(registered["secret_token"]) >= 32
    assert forged.status_code == 403 and genuine.status_code == 200
    assert again.status_code == 200 and len(telegram.sent()) == 1
    assert not_json.status_code == 400 and not_object.status_code == 400
    assert huge.status_code == 413
    assert "Lê Hoài Trung" in reply["text"]
    assert process.returncode == 0
    log = stderr.decode()
    assert registered["secret_token"] not in log and telegram.token not in log
    assert "Bi mat cua Lan" not in log and "aaaaaaaa" not in log
    assert "Traceback" not in log and "CRITICAL" not in log


class _NeverAnswers:
    """An engine over a large archive whose titles make no answerable question."""

    def __init__(self, documents: int) -> None:
        self.documents = [
            Document(f"tin-{n}", f"Tin số {n}", None, Path(f"tin-{n}.txt"))
            for n in range(documents)
        ]
        self.asked = 0

    def ask(self, question: str) -> Answer:
        self.asked += 1
        return Answer(question, answered=False)


def test_example_questions_try_a_bounded_number_of_titles():
    engine = _NeverAnswers(10_000)
    assert example_questions(engine, configured=[], bundled_seeds=False) == []
    assert engine.asked == EXAMPLE_CANDIDATES
