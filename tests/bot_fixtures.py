"""Fixtures of the bot tests: the engine over the seeds, the fake Bot API server
(tests/fake_telegram.py) and a bot running against it. Test modules load them with
`pytest_plugins = ["bot_fixtures"]`."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from fake_telegram import TOKEN, FakeTelegram

from bot.app import make_service
from bot.config import Settings
from bot.service import Service
from retrieval import Engine


@pytest.fixture(scope="session")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("index") / "seeds.index"


@pytest.fixture(scope="session")
def engine(index_path: Path) -> Engine:
    """The real engine over the bundled seeds, built once per test session."""
    return Engine.open(index=index_path)


@pytest_asyncio.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


def make_settings(telegram: FakeTelegram, **overrides: Any) -> Settings:
    """Settings for a bot talking to `telegram`, independent of the developer's `.env`."""
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_base_url": telegram.base_url,
        "health_port": None,
        "examples": ["Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV?"],
    }
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[call-arg]


@asynccontextmanager
async def running(service: Service) -> AsyncIterator[Service]:
    """Run `service` as `hoidap bot` does, inside the test's event loop."""
    task = asyncio.create_task(service.run())
    try:
        ready = asyncio.create_task(service.ready.wait())
        await asyncio.wait({ready, task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        assert service.ready.is_set(), "the bot did not start"
        yield service
    finally:
        service.stop()
        await asyncio.wait_for(task, 30)
        service.store.close()


@pytest_asyncio.fixture
async def start_bot(
    telegram: FakeTelegram, engine: Engine, tmp_path: Path
) -> AsyncIterator[Callable[..., Any]]:
    """`async with start_bot(**settings) as service:` runs a bot against the fake server
    (over the seeds, or over `corpus_engine`), its state in the test's folder."""

    @asynccontextmanager
    async def start(
        corpus_engine: Engine | None = None, **overrides: Any
    ) -> AsyncIterator[Service]:
        settings = make_settings(telegram, **({"state_dir": tmp_path / "state"} | overrides))
        async with running(make_service(settings, corpus_engine or engine)) as service:
            yield service

    yield start
