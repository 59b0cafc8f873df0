from collections.abc import Callable
from pathlib import Path

import pytest
from small_corpus import parsed_documents

from retrieval import Engine
from retrieval.index import Index, build_index


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test writes into the user's cache: default index paths go to a temporary folder,
    also in the processes tests start (they inherit the environment)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def engine_over(tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, str]], Engine]:
    """Builds an engine over a corpus of {file name: text}, quietly."""

    def build(articles: dict[str, str]) -> Engine:
        corpus = tmp_path_factory.mktemp("corpus")
        for name, text in articles.items():
            (corpus / name).write_text(text, encoding="utf-8")
        index = tmp_path_factory.mktemp("index") / "index"
        return Engine.open(corpus, index, notice=lambda _: None)

    return build


@pytest.fixture
def built(tmp_path: Path) -> Index:
    """The index of DOCS (tests/small_corpus.py), built for real."""
    return build_index(parsed_documents(tmp_path), "fp")
