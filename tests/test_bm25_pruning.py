"""Pruned top-k (MaxScore, compiled) against full scoring and rank_bm25."""

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

import retrieval.bm25.postings as postings_module
from retrieval.bm25 import CorpusStats, Postings
from retrieval.bm25.pruning import Scratch, get_kernel, pruned_top_k
from tests.test_bm25 import random_corpus, to_csr


def _full_top_k(
    postings: Postings, query: list[int], k: int, stats: CorpusStats, deleted: np.ndarray | None
) -> tuple[list[int], np.ndarray]:
    scores = postings.scores(query, stats)
    matched = np.zeros(postings.n_docs, dtype=bool)
    for t in query:
        matched[postings.post_docs[postings.term_ptr[t] : postings.term_ptr[t + 1]]] = True
    if deleted is not None:
        matched &= ~deleted
    order = sorted(np.flatnonzero(matched).tolist(), key=lambda d: (-scores[d], d))[:k]
    return order, scores[order]


def _tied_corpus(rng: np.random.Generator, n_docs: int, n_words: int) -> list[list[str]]:
    # Copies of documents (and of their words in another order) score exactly alike.
    corpus = random_corpus(rng, n_docs, n_words)
    for _ in range(n_docs // 2):
        doc = list(corpus[int(rng.integers(len(corpus)))])
        rng.shuffle(doc)
        corpus.insert(int(rng.integers(len(corpus) + 1)), doc)
    return corpus


@pytest.fixture
def always_prune(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postings_module, "PRUNE_MIN_DOCS", 0)


@pytest.mark.parametrize("seed", range(6))
def test_pruned_top_k_equals_full_scoring_including_ties(seed: int, always_prune: None) -> None:
    rng = np.random.default_rng(200 + seed)
    corpus = _tied_corpus(rng, int(rng.integers(300, 900)), int(rng.integers(50, 400)))
    reference = BM25Okapi(corpus)
    ptr, ids, vocab = to_csr(corpus)
    postings = Postings.build(ptr, ids, len(vocab))
    stats = postings.stats()
    names = sorted(vocab, key=vocab.__getitem__)
    positive = [t for t in range(len(vocab)) if stats.idf[t] > 0]
    pruned = seeded = 0
    for _ in range(25):
        query = rng.choice(positive, size=int(rng.integers(1, 12))).tolist()
        query += query[: int(rng.integers(0, 3))]  # repeated terms count twice
        deleted = rng.random(postings.n_docs) < 0.1 if rng.random() < 0.3 else None
        for k in (1, 3, 10, 50):
            docs, scores = postings.top_k(query, k, stats, deleted=deleted)
            expected_docs, expected_scores = _full_top_k(postings, query, k, stats, deleted)
            assert docs.tolist() == expected_docs
            np.testing.assert_array_equal(scores, expected_scores)
        full = reference.get_scores([names[t] for t in query])
        np.testing.assert_allclose(scores, full[docs], atol=1e-9)
        work = np.zeros(5, dtype=np.int64)
        pruned_top_k(postings, np.array(query), 3, stats, None, Scratch(), work)
        survivors = work[3]
        pruned += survivors < np.count_nonzero(postings.scores(query, stats))
        seeded += work[4]
    # The queries exercise pruning: most keep fewer passages than match, and some raise
    # the floor from the heap's whole scores.
    assert pruned > 12
    assert seeded > 3


def test_pruned_top_k_with_statistics_of_a_larger_corpus(always_prune: None) -> None:
    rng = np.random.default_rng(31)
    corpus = _tied_corpus(rng, 600, 120)
    ptr, ids, vocab = to_csr(corpus)
    half = int(ptr[300])
    first = Postings.build(ptr[:301], ids[:half], len(vocab))
    second = Postings.build(ptr[300:] - half, ids[half:], len(vocab))
    stats = CorpusStats.combine([first.stats(), second.stats()])
    query = [t for t in range(0, len(vocab), 7) if stats.idf[t] > 0][:9]
    for part in (first, second):
        docs, scores = part.top_k(query, 10, stats)
        expected_docs, expected_scores = _full_top_k(part, query, 10, stats, None)
        assert docs.tolist() == expected_docs
        np.testing.assert_array_equal(scores, expected_scores)


def test_stored_bounds_hold_every_weight_under_any_statistics() -> None:
    rng = np.random.default_rng(9)
    corpus = random_corpus(rng, 200, 40)
    ptr, ids, vocab = to_csr(corpus)
    postings = Postings.build(ptr, ids, len(vocab))
    for n_docs, total in ((200, int(ptr[-1])), (5000, 20 * 5000), (300, 300)):
        stats = CorpusStats(n_docs, total, np.full(len(vocab), 3))
        for t in range(postings.n_terms):
            bound = get_kernel().bound(
                stats.idf[t],
                postings.term_max_tf[t],
                postings.term_min_len[t],
                stats.k1,
                stats.b,
                stats.avgdl,
            )
            lo, hi = postings.term_ptr[t], postings.term_ptr[t + 1]
            tf = postings.post_tf[lo:hi].astype(np.float64)
            norm = stats.doc_norm(postings.doc_len[postings.post_docs[lo:hi]])
            assert (stats.idf[t] * tf * (stats.k1 + 1) / (norm + tf) <= bound).all()


def test_largest_weights_found_by_searches_hold_every_weight(always_prune: None) -> None:
    rng = np.random.default_rng(12)
    corpus = _tied_corpus(rng, 500, 80)
    ptr, ids, vocab = to_csr(corpus)
    postings = Postings.build(ptr, ids, len(vocab))
    stats = postings.stats()
    asked = [t for t in range(len(vocab)) if stats.idf[t] > 0][:40]
    for start in range(0, len(asked), 4):
        postings.top_k(asked[start : start + 4], 5, stats)
    largest = postings.largest_weights(stats)
    assert (largest[asked] > 0).all()
    for t in asked:
        lo, hi = postings.term_ptr[t], postings.term_ptr[t + 1]
        tf = postings.post_tf[lo:hi].astype(np.float64)
        norm = stats.doc_norm(postings.doc_len[postings.post_docs[lo:hi]])
        weights = tf * (stats.k1 + 1) / (norm + tf)
        assert weights.max() <= largest[t] <= weights.max() * (1 + 1e-5)
    # Other statistics (another avgdl) start again from nothing.
    other = CorpusStats(stats.n_docs * 2, stats.total_length * 3, stats.df)
    assert not postings.largest_weights(other).any()


@pytest.mark.parametrize("seed", range(3))
def test_long_questions_equal_full_scoring_and_leave_the_scratch_clean(
    seed: int, always_prune: None
) -> None:
    # Questions of 30 to 250 terms (repeats included): their bounds add up far above the
    # k-th score, so most terms are passed over in the float32 passes that add to every
    # posting's passage, and the widest margins (one per term) are used.
    rng = np.random.default_rng(400 + seed)
    corpus = _tied_corpus(rng, 700, 300)
    ptr, ids, vocab = to_csr(corpus)
    postings = Postings.build(ptr, ids, len(vocab))
    stats = postings.stats()
    positive = [t for t in range(len(vocab)) if stats.idf[t] > 0]
    scratch = Scratch()
    work = np.zeros(5, dtype=np.int64)
    seeded = 0
    for size in (30, 60, 120, 250):
        query = rng.choice(positive, size=size).tolist()
        deleted = rng.random(postings.n_docs) < 0.1 if size == 60 else None
        for k in (1, 10, 40):
            found = pruned_top_k(postings, np.array(query), k, stats, deleted, scratch, work)
            assert found is not None
            seeded += work[4]
            expected_docs, expected_scores = _full_top_k(postings, query, k, stats, deleted)
            assert found[0].tolist() == expected_docs
            np.testing.assert_array_equal(found[1], expected_scores)
            # Every passage is unseen again and out of the heap for the next question.
            assert (scratch.acc[0::2] == get_kernel().UNSEEN).all()
            assert (scratch.heap_pos == -1).all()
    assert seeded > 0


def test_binary_searches_in_step_find_each_passage_or_none() -> None:
    rng = np.random.default_rng(5)
    post_docs = np.sort(rng.choice(10_000, size=3_000, replace=False)).astype(np.int32)
    at = np.empty(40, dtype=np.int64)
    for lo, hi in ((0, 3_000), (100, 101), (500, 500), (2_000, 2_900)):
        docs = np.sort(rng.choice(10_000, size=40, replace=False)).astype(np.int64)
        docs[::3] = post_docs[rng.integers(lo, hi, size=len(docs[::3]))] if hi > lo else 0
        docs.sort()
        get_kernel().find_each(post_docs, lo, hi, docs, len(docs), at)
        span = post_docs[lo:hi].tolist()
        expected = [lo + span.index(d) if d in span else -1 for d in docs.tolist()]
        assert at.tolist() == expected
