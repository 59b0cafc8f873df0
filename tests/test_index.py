"""Building the index: sentences, passages, BM25 against rank_bm25, segmentation, progress,
and the document records."""

from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi
from small_corpus import DOCS, HEADLINE, all_sentences, parsed_documents

from retrieval.index import (
    Index,
    IndexUnreadable,
    build_index,
    load_index,
    save_index,
)
from retrieval.index import build as build_module
from retrieval.index import reading as reading_module
from retrieval.index.records import Records, document_of, document_records
from retrieval.tokenizer import index_terms


def test_sentences_in_corpus_order(built: Index) -> None:
    expected = [s for sentences in DOCS.values() for s in sentences]
    assert all_sentences(built) == expected
    assert built.sentence_doc.tolist() == [0] * 7 + [1] * 2 + [3] * 3
    assert built.sentence_start[1] == len(HEADLINE) + 1
    assert built.sentence_end[1] == len(HEADLINE) + 1 + len(DOCS["xang"][1])
    for i, text in enumerate(expected):
        terms = [built.vocab[t] for t in index_terms(text)]
        assert built.sentence_terms(i).tolist() == terms


def test_passages_are_windows_restarting_at_each_document(built: Index) -> None:
    assert built.passage_sentence_ptr.tolist() == [0, 3, 6, 7, 9, 12]
    assert built.n_passages == 5
    assert [built.passage_doc(p) for p in range(5)] == [0, 0, 0, 1, 3]
    one = build_index(parsed_documents(built.documents[0].path.parent), "fp", passage_sentences=1)
    assert one.passage_sentence_ptr.tolist() == list(range(13))


def test_bm25_over_passages_matches_rank_bm25(built: Index) -> None:
    ptr = built.passage_sentence_ptr
    corpus = [
        [t for i in range(ptr[p], ptr[p + 1]) for t in index_terms(built.sentence_text(i))]
        for p in range(built.n_passages)
    ]
    reference = BM25Okapi(corpus)
    for question in ("giá xăng RON 95", "mưa ở Hà Nội", "Việt Nam thắng Thái Lan"):
        query = index_terms(question)
        ids = [built.vocab.get(t, -1) for t in query]
        np.testing.assert_allclose(built.bm25.scores(ids), reference.get_scores(query), atol=1e-9)


@pytest.mark.parametrize("block", [1, 2, 1 << 22])
def test_document_idf_counts_documents_not_passages(
    built: Index, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    # Small blocks put document changes and term starts on block edges.
    monkeypatch.setattr(build_module, "_POSTINGS_BLOCK", block)
    index = build_index(parsed_documents(built.documents[0].path.parent), "fp")
    holding: dict[str, set[int]] = {}
    for i in range(index.n_sentences):
        for term in index_terms(index.sentence_text(i)):
            holding.setdefault(term, set()).add(int(index.sentence_doc[i]))
    n = len(index.documents)
    for term, docs in holding.items():
        expected = np.log1p((n - len(docs) + 0.5) / (len(docs) + 0.5))
        assert index.document_idf[index.vocab[term]] == pytest.approx(expected)
    # The headline is in three passages of two documents.
    assert holding["~xang"] == {0, 1}


def test_each_distinct_sentence_is_segmented_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def counting_index_terms(text: str) -> list[str]:
        calls.append(text)
        return index_terms(text)

    monkeypatch.setattr(reading_module, "index_terms", counting_index_terms)
    index = build_index(parsed_documents(tmp_path), "fp")
    distinct = {s for sentences in DOCS.values() for s in sentences}
    assert sorted(calls) == sorted(distinct)
    first, again = 0, 6  # HEADLINE opens and closes the first document
    assert index.sentence_terms(again).tolist() == index.sentence_terms(first).tolist()


def test_progress_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading_module, "PROGRESS_MIN_STEP", 5)
    messages: list[str] = []
    build_index(parsed_documents(tmp_path), "fp", progress=messages.append)
    assert messages[0] == "indexing: 5/10 distinct sentences segmented"
    assert messages[-1].startswith("indexed 4 documents: 12 sentences")


def test_garbled_document_record_is_reported_when_read(built: Index) -> None:
    ptr, blob = document_records(built)
    blob = blob.copy()
    blob[0] = ord("{")
    documents = Records(ptr, blob, document_of)
    assert documents[1] == built.documents[1]
    with pytest.raises(IndexUnreadable, match="document record 0 is damaged"):
        documents[0]


def test_stored_documents_index_like_a_list(built: Index, tmp_path: Path) -> None:
    path = tmp_path / "index"
    save_index(built, path)
    loaded = load_index(path)
    assert len(loaded.documents) == len(built.documents) == 4
    assert loaded.documents[-1] == built.documents[-1]
    assert loaded.documents[1:3] == built.documents[1:3]
    assert list(loaded.document_stamps) == built.document_stamps
    with pytest.raises(IndexError):
        loaded.documents[4]
