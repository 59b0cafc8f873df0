"""Which of a question's terms passage retrieval scores."""

from pathlib import Path

import pytest

import retrieval.query as query_module
from retrieval import Engine
from retrieval.query import parse_query, search_terms


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    corpus = tmp_path_factory.mktemp("corpus")
    for n in range(12):
        (corpus / f"tin-{n}.txt").write_text(
            f"Bản tin số {n}\n\nBệnh viện tỉnh tiếp nhận {n + 3} bệnh nhân trong ngày.\n"
            + ("Bệnh nhân sốt xuất huyết được điều trị tích cực.\n" if n == 7 else ""),
            encoding="utf-8",
        )
    return Engine.open(corpus, Path(corpus.parent / "index"), notice=lambda _: None)


def test_common_terms_are_left_out_of_retrieval_on_large_corpora(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query_module, "COMMON_MIN_PASSAGES", 0)
    query = parse_query(engine.index, "Bệnh viện nào điều trị sốt xuất huyết?")
    kept = search_terms(engine.index, query)
    vocab = engine.index.vocab
    assert vocab["bệnh_viện"] in query.term_ids and vocab["bệnh_viện"] not in kept
    assert vocab["sốt_xuất_huyết"] in kept
    # Retrieval by the rare words still finds the one bulletin about dengue.
    assert engine.search("Bệnh viện nào điều trị sốt xuất huyết?", k=1)[0].document.doc_id == (
        "tin-7"
    )


def test_a_question_of_common_words_still_searches_by_its_rarest(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query_module, "COMMON_MIN_PASSAGES", 0)
    query = parse_query(engine.index, "bệnh viện tỉnh tiếp nhận bệnh nhân")
    kept = search_terms(engine.index, query)
    assert 0 < len(set(kept)) <= query_module.KEEP_RAREST
    assert engine.search("bệnh viện tỉnh tiếp nhận bệnh nhân", k=3)


def test_small_corpora_search_by_every_term(engine: Engine) -> None:
    query = parse_query(engine.index, "Bệnh viện nào điều trị sốt xuất huyết?")
    assert search_terms(engine.index, query) == query.term_ids
