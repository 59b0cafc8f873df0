"""A port the bot cannot listen on is named in one line, with the setting to change."""

import os
import socket
import subprocess
import sys
from pathlib import Path


def test_a_busy_health_port_is_named_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = dict(
            os.environ,
            TELEGRAM_BOT_TOKEN="123456:" + "A" * 35,
            # Nothing listens on port 9: the bot never gets as far as Telegram.
            TELEGRAM_BASE_URL="http://127.0.0.1:9/bot",
            HOIDAP_STATE_DIR=str(tmp_path / "state"),
            HOIDAP_HEALTH_PORT=str(port),
            XDG_CACHE_HOME=str(tmp_path / "cache"),
        )
        done = subprocess.run(
            [sys.executable, "-m", "bot"], env=env, capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, done.stderr
    assert f"127.0.0.1:{port}" in errors[0] and "HOIDAP_HEALTH_PORT" in errors[0]
    assert "Traceback" not in done.stderr
