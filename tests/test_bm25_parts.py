"""Postings of corpus parts (segments, shards) scored with the whole corpus's statistics."""

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from retrieval.bm25 import BM25, CorpusStats, Postings
from tests.test_bm25 import query_ids, random_corpus, to_csr


def _parts(corpus: list[list[str]], cuts: list[int], vocab: dict[str, int]) -> list[Postings]:
    parts = []
    for lo, hi in zip([0, *cuts], [*cuts, len(corpus)], strict=True):
        docs = corpus[lo:hi]
        ptr = np.cumsum([0] + [len(d) for d in docs], dtype=np.int64)
        ids = np.array([vocab[t] for d in docs for t in d], dtype=np.int32)
        parts.append(Postings.build(ptr, ids, len(vocab)))
    return parts


@pytest.mark.parametrize("seed", range(4))
def test_parts_with_combined_statistics_score_as_the_whole_corpus(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    corpus = [*random_corpus(rng, 120, 25), []]
    reference = BM25Okapi(corpus)
    ptr, ids, vocab = to_csr(corpus)
    whole = BM25.build(ptr, ids, len(vocab))
    cuts = sorted(rng.choice(np.arange(1, len(corpus)), size=3, replace=False).tolist())
    parts = _parts(corpus, cuts, vocab)
    stats = CorpusStats.combine(p.stats() for p in parts)
    np.testing.assert_array_equal(stats.df, whole.stats.df)
    assert stats.idf.tolist() == whole.idf.tolist()
    for _ in range(5):
        query = [f"w{i}" for i in rng.integers(0, 30, size=int(rng.integers(1, 6)))]
        terms = query_ids(query, vocab)
        joined = np.concatenate([p.scores(terms, stats) for p in parts])
        np.testing.assert_array_equal(joined, whole.scores(terms))
        np.testing.assert_allclose(joined, reference.get_scores(query), atol=1e-9)
        offsets = np.cumsum([0, *(p.n_docs for p in parts)])
        hits = [
            (-s, int(d) + int(offset))
            for p, offset in zip(parts, offsets, strict=False)
            for d, s in zip(*p.top_k(terms, 7, stats), strict=True)
        ]
        merged = [d for _, d in sorted(hits)[:7]]
        assert merged == whole.top_k(terms, 7)[0].tolist()


def test_statistics_of_parts_with_shorter_vocabularies_combine() -> None:
    a = CorpusStats(2, 5, np.array([1, 2]))
    b = CorpusStats(3, 7, np.array([0, 1, 3]))
    both = CorpusStats.combine([a, b])
    assert (both.n_docs, both.total_length, both.df.tolist()) == (5, 12, [1, 3, 3])
    assert both.avgdl == 12 / 5
    with pytest.raises(ValueError):
        CorpusStats.combine([a, CorpusStats(1, 1, np.array([1]), k1=1.2)])


def test_deleted_documents_never_appear_and_others_keep_their_scores() -> None:
    rng = np.random.default_rng(5)
    corpus = random_corpus(rng, 80, 15)
    ptr, ids, vocab = to_csr(corpus)
    postings = Postings.build(ptr, ids, len(vocab))
    stats = postings.stats()
    terms = [vocab["w0"], vocab["w2"]]
    full = postings.scores(terms, stats)
    deleted = np.zeros(postings.n_docs, dtype=bool)
    first, _ = postings.top_k(terms, 3, stats)
    deleted[first] = True
    docs, scores = postings.top_k(terms, 5, stats, deleted=deleted)
    assert not set(docs.tolist()) & set(first.tolist())
    np.testing.assert_array_equal(scores, full[docs])
    assert (postings.scores(terms, stats, deleted=deleted)[first] == 0).all()


def test_term_bounds_hold_every_weight_under_other_statistics() -> None:
    rng = np.random.default_rng(9)
    corpus = random_corpus(rng, 200, 40)
    ptr, ids, vocab = to_csr(corpus)
    postings = Postings.build(ptr, ids, len(vocab))
    for t in range(postings.n_terms):
        lo, hi = postings.term_ptr[t], postings.term_ptr[t + 1]
        assert postings.term_max_tf[t] == postings.post_tf[lo:hi].max()
        assert postings.term_min_len[t] == postings.doc_len[postings.post_docs[lo:hi]].min()
