from collections.abc import Callable

import pytest

from retrieval import Engine


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
