"""Bot settings, read from the environment and `.env` (see `.env.example`)."""

import os
import re
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# BotFather tokens are "<bot id>:<35 url-safe characters>"; checking the shape at start-up
# turns a pasted-wrong token into a clear message instead of a 401 deep inside polling.
_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")


class Settings(BaseSettings):
    """Everything an administrator can set; names are the environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="HOIDAP_",
        env_file=".env",
        env_file_encoding="utf-8",
        # `.env.example` lists every setting with an empty value; empty means "default".
        env_ignore_empty=True,
        extra="ignore",
    )

    telegram_bot_token: SecretStr = Field(
        validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "telegram_bot_token")
    )
    telegram_base_url: str = Field(
        default="https://api.telegram.org/bot",
        validation_alias=AliasChoices("TELEGRAM_BASE_URL", "telegram_base_url"),
    )
    # Where files sent to the bot are downloaded from (bot.uploads).
    telegram_base_file_url: str = Field(
        default="https://api.telegram.org/file/bot",
        validation_alias=AliasChoices("TELEGRAM_BASE_FILE_URL", "telegram_base_file_url"),
    )
    corpus: Path | None = None
    index: Path | None = None
    # Users who may add documents by sending them, and remove them with /xoa.
    admin_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    allowed_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    allowed_chat_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    max_question_chars: int = Field(default=500, ge=10)
    questions_per_window: int = Field(default=10, ge=1)
    question_window_seconds: float = Field(default=60.0, gt=0)
    examples: Annotated[list[str], NoDecode] = []
    answer_sentences: int = Field(default=3, ge=1, le=10)
    health_host: str = "127.0.0.1"
    health_port: int | None = 8088
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # The durable inbox and outbox (SQLite). Default: $XDG_STATE_HOME/hoidap.
    state_dir: Path | None = None
    # Answers to questions older than this carry a short "sorry, late" note.
    late_after_seconds: float = Field(default=120.0, gt=0)
    # Questions waiting longer than this get one "busy, ask again" reply instead of an answer.
    backlog_max_age_seconds: float = Field(default=60.0, gt=0)
    # How long a reply is retried through network errors, 5xx and 429 before it is given up.
    send_retry_minutes: float = Field(default=15.0, gt=0)
    # Stored questions (and update ids, for deduplication) are deleted after this.
    retention_hours: float = Field(default=24.0, gt=0)
    # /health answers 503 when the Bot API has not been reached for this long.
    telegram_silence_seconds: float = Field(default=120.0, gt=0)
    # Read timeout of one Bot API call (long polling waits this much longer).
    telegram_timeout_seconds: float = Field(default=10.0, gt=0)

    def state_folder(self) -> Path:
        if self.state_dir is not None:
            return self.state_dir
        base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
        return Path(base) / "hoidap"

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not _TOKEN_SHAPE.fullmatch(value.get_secret_value().strip()):
            raise ValueError("not a bot token")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("allowed_user_ids", "allowed_chat_ids", "admin_user_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in re.split(r"[,\s]+", value) if part)
        return value

    @field_validator("examples", mode="before")
    @classmethod
    def _pipe_separated(cls, value: object) -> object:
        # Questions contain commas, so the list is separated by "|".
        if isinstance(value, str):
            return [part.strip() for part in value.split("|") if part.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class ApiSettings(BaseSettings):
    """`hoidap serve`: the HTTP API and its page. Same sources and prefix as the bot's
    settings, without the Telegram token, so the API can run without a bot."""

    model_config = Settings.model_config

    corpus: Path | None = None
    index: Path | None = None
    max_question_chars: int = Field(default=500, ge=10)
    answer_sentences: int = Field(default=3, ge=1, le=10)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=0, le=65535)
    # Required when api_host is not a loopback address; sent as "Authorization: Bearer KEY".
    api_keys: Annotated[frozenset[SecretStr], NoDecode] = frozenset()
    api_requests_per_window: int = Field(default=120, ge=1)
    api_window_seconds: float = Field(default=60.0, gt=0)
    api_max_body_bytes: int = Field(default=16384, ge=256)
    api_timeout_seconds: float = Field(default=10.0, gt=0)
    api_threads: int = Field(default=4, ge=1, le=64)
    # Processes answering for `hoidap serve` (not with --bot): one per core for throughput.
    api_workers: int = Field(default=1, ge=1, le=64)
    api_cors_origins: Annotated[list[str], NoDecode] = []

    @field_validator("api_keys", "api_cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in re.split(r"[,\s]+", value) if part]
        return value

    @field_validator("api_keys")
    @classmethod
    def _long_keys(cls, keys: frozenset[SecretStr]) -> frozenset[SecretStr]:
        # A short key can be guessed over HTTP; say so without printing it.
        if any(len(key.get_secret_value()) < 16 for key in keys):
            raise ValueError("every key must be at least 16 characters")
        return keys

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


S = TypeVar("S", bound=BaseSettings)


class SettingsError(Exception):
    """Settings that cannot start the bot; the message is one line for the administrator."""


def load_settings(settings_class: type[S] = Settings, **overrides: object) -> S:  # type: ignore[assignment]
    """Settings from the environment and `.env`, with a one-line error for the usual mistakes."""
    try:
        return settings_class(**overrides)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else "settings"
            if name.lower() == "telegram_bot_token":
                problems.append(
                    "TELEGRAM_BOT_TOKEN is missing or malformed "
                    "(expected the 123456789:AA… token that @BotFather gave you)"
                )
            else:
                problems.append(f"HOIDAP_{name.upper()}: {item['msg']}")
        raise SettingsError("; ".join(dict.fromkeys(problems))) from None
