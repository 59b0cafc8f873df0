"""A live index (segments and deletions) scores and answers exactly like an index built in
one piece over the same live documents."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from live_corpus import ROOT, SEEDS, quiet, seeds_without_merges
from rank_bm25 import BM25Okapi

from retrieval import Engine
from retrieval.documents import corpus_files
from retrieval.index import live_bm25, open_index, save_index, update_index
from retrieval.index.live import LiveIndex, live_index
from retrieval.index.merging import merge_segments
from retrieval.index.model import ARRAYS
from retrieval.query import query_terms

QUESTIONS = json.loads((ROOT / "tests/data/seed_questions.json").read_text(encoding="utf-8"))
NEW_ARTICLE = (
    "Mèo Mướp leo cây xoài\n\n"
    "Sáng nay, con mèo tên Mướp đã leo lên cây xoài trong sân nhà ông Tư ở Hà Nội. "
    "Lực lượng cứu hộ mất hai giờ để đưa nó xuống. Bộ Ngoại giao không liên quan.\n"
)


@pytest.fixture
def edited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, LiveIndex]:
    """The seeds indexed, then a file added, one changed and one deleted, each applied as
    an update: three segments, two with deletions (merging held off)."""
    corpus = seeds_without_merges(tmp_path, monkeypatch)
    path = tmp_path / "index"
    open_index(corpus, path, notice=quiet)
    (corpus / "moi" / "meo.txt").parent.mkdir()
    (corpus / "moi" / "meo.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    (corpus / "moi" / "cho.txt").write_text(
        "Chó Vàng\n\nCon chó Vàng của bà Năm biết giữ nhà và đếm đến ba.\n", encoding="utf-8"
    )
    open_index(corpus, path, notice=quiet)
    changed = corpus / "002_d238c6360f9011fb.txt"
    changed.write_text(changed.read_text(encoding="utf-8")[:1500] + "\n", encoding="utf-8")
    (corpus / "moi" / "meo.txt").write_text(
        NEW_ARTICLE.replace("hai giờ", "ba giờ"), encoding="utf-8"
    )
    open_index(corpus, path, notice=quiet)
    (corpus / "004_4c33edc76b0aa510.txt").unlink()
    index = open_index(corpus, path, notice=quiet)
    assert isinstance(index, LiveIndex)
    assert len(index.segments) == 3
    assert sum(len(s.deleted) > 0 for s in index.segments) == 2
    return corpus, index


def live_passages(index: LiveIndex) -> list[int]:
    alive = np.ones(index.n_passages, dtype=bool)
    offset = 0
    for segment in index.segments:
        if segment.deleted_passages is not None:
            alive[offset : offset + segment.index.n_passages] &= ~segment.deleted_passages
        offset += segment.index.n_passages
    return np.flatnonzero(alive).tolist()


def passage_terms(index: LiveIndex, passage: int) -> list[str]:
    terms = index.vocab.terms()
    ptr = index.passage_sentence_ptr
    term_ptr = index.sentence_term_ptr
    ids = index.sentence_term_ids[
        int(term_ptr[int(ptr[passage])]) : int(term_ptr[int(ptr[passage + 1])])
    ]
    return [terms[i] for i in ids.tolist()]


@pytest.mark.parametrize("combined", [True, False])
def test_scores_over_the_union_are_rank_bm25s(
    edited: tuple[Path, LiveIndex], combined: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recent segments scored as one part built in memory, or each on its own."""
    monkeypatch.setattr(live_bm25, "COMBINED", 50_000 if combined else 0)
    _, built = edited
    index = live_index(built.segments, built.fingerprint)
    assert len(index.bm25._postings) == (2 if combined else 3)
    live = live_passages(index)
    assert len(live) < index.n_passages  # deleted passages are still stored
    reference = BM25Okapi([passage_terms(index, p) for p in live])
    terms = index.vocab.terms()
    rng = np.random.default_rng(0)
    queries = [query_terms(index, q["question"]) for q in QUESTIONS["answerable"]]
    queries += [rng.integers(0, len(terms), size=4).tolist() for _ in range(20)]
    for ids in queries:
        scores = index.bm25.scores(ids)
        expected = reference.get_scores([terms[i] for i in ids])
        np.testing.assert_allclose(scores[live], expected, rtol=0, atol=1e-12)
        dead = np.setdiff1d(np.arange(index.n_passages), live)
        assert (scores[dead] == 0).all()
        top, top_scores = index.bm25.top_k(ids, 5)
        assert set(top.tolist()) <= set(live)
        np.testing.assert_allclose(top_scores, np.sort(expected)[::-1][: len(top)], atol=1e-12)


def test_deleted_terms_are_unknown_and_statistics_count_live_documents(
    edited: tuple[Path, LiveIndex],
) -> None:
    corpus, index = edited
    full = update_index(corpus, corpus_files(corpus), "", workers=1)
    assert set(index.vocab) == set(full.vocab)
    assert len(index.vocab) == len(full.vocab)
    for term, i in full.vocab.items():
        assert index.bm25.idf[index.vocab[term]] == pytest.approx(full.bm25.idf[i], abs=1e-12)
        assert index.document_idf[index.vocab[term]] == full.document_idf[i]


def cited(engine: Engine, question: str) -> tuple[bool, list[tuple[str, str, int, int]]]:
    answer = engine.ask(question)
    return answer.answered, [(c.document.doc_id, c.text, c.start, c.end) for c in answer.sentences]


def test_answers_are_a_full_builds(edited: tuple[Path, LiveIndex], tmp_path: Path) -> None:
    corpus, index = edited
    full = Engine(open_index(corpus, tmp_path / "full", notice=quiet))
    assert len(full.index.segments) == 1
    live = Engine(index)
    questions = [q["question"] for q in QUESTIONS["answerable"]] + QUESTIONS["unanswerable"]
    questions.append("Con mèo tên gì leo lên cây xoài?")
    for question in questions:
        assert cited(live, question) == cited(full, question), question
    answered, sentences = cited(live, "Con mèo Mướp leo cây gì, cứu hộ mất mấy giờ?")
    assert answered and sentences[0][0] == "moi/meo"
    assert all("hai giờ" not in text for _, text, _, _ in sentences)


def test_merge_is_the_build_of_the_same_documents(edited: tuple[Path, LiveIndex]) -> None:
    corpus, index = edited
    merged, kept = merge_segments(index, list(range(len(index.segments))), workers=1)
    assert [len(k) for k in kept] == [s.live_documents for s in index.segments]
    files = [d.path for d in merged.documents]
    expected = update_index(corpus, files, "", workers=1)
    assert list(merged.documents) == list(expected.documents)
    assert merged.vocab == expected.vocab
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(merged, name), getattr(expected, name), name)
    for name, values in expected.bm25.arrays().items():
        np.testing.assert_array_equal(merged.bm25.arrays()[name], values, name)


def test_an_older_index_is_rebuilt_once_with_a_notice(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    path = tmp_path / "index"
    # The one-generation layout of index format 6 and before.
    old = update_index(corpus, corpus_files(corpus), "old", workers=1)
    save_index(old, path)
    assert (path / "CURRENT").exists()
    notices: list[str] = []
    open_index(corpus, path, notice=notices.append)
    assert notices[0] == f"index at {path} is unreadable (an index of an older format), rebuilding"
    assert not (path / "CURRENT").exists()
    assert not [p for p in path.iterdir() if p.name.startswith("gen-")]
    notices.clear()
    open_index(corpus, path, notice=notices.append)
    assert notices == []
