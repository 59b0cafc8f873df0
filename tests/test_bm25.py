from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

import retrieval.bm25.building as building_module
import retrieval.bm25.postings as postings_module
from retrieval.bm25 import BM25
from retrieval.tokenizer import segment

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def to_csr(corpus: list[list[str]]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    vocab: dict[str, int] = {}
    ids = [vocab.setdefault(term, len(vocab)) for doc in corpus for term in doc]
    ptr = np.cumsum([0] + [len(doc) for doc in corpus], dtype=np.int64)
    return ptr, np.array(ids, dtype=np.int32), vocab


def query_ids(query: list[str], vocab: dict[str, int]) -> list[int]:
    return [vocab.get(term, -1) for term in query]


def random_corpus(rng: np.random.Generator, n_docs: int, n_words: int) -> list[list[str]]:
    # Zipf-like draws make a few words appear in most documents (negative idf).
    weights = 1.0 / np.arange(1, n_words + 1)
    weights /= weights.sum()
    corpus = []
    for _ in range(n_docs):
        length = int(rng.integers(0, 30))
        corpus.append([f"w{i}" for i in rng.choice(n_words, size=length, p=weights)])
    return corpus


@pytest.mark.parametrize("seed", range(8))
def test_parity_with_rank_bm25_on_random_corpora(seed: int) -> None:
    rng = np.random.default_rng(seed)
    corpus = random_corpus(rng, int(rng.integers(20, 60)), int(rng.integers(3, 40)))
    corpus.append([])
    # The epsilon floor only matters when some term is in more than half the documents.
    assert 2 * sum("w0" in doc for doc in corpus) > len(corpus)
    reference = BM25Okapi(corpus)
    ptr, ids, vocab = to_csr(corpus)
    bm25 = BM25.build(ptr, ids, len(vocab))
    for _ in range(10):
        query = [f"w{i}" for i in rng.integers(0, 50, size=int(rng.integers(1, 6)))]
        query += query[:1]  # a repeated term counts twice
        query.append("unknown-word")
        expected = reference.get_scores(query)
        np.testing.assert_allclose(bm25.scores(query_ids(query, vocab)), expected, atol=1e-9)


@pytest.mark.parametrize(
    ("largest_tf", "dtype"), [(255, np.uint8), (256, np.uint16), (65536, np.uint32)]
)
def test_term_frequencies_take_the_smallest_type_and_are_never_clipped(
    largest_tf: int, dtype: type
) -> None:
    corpus = [["a"] * largest_tf + ["b"], ["a", "c"], ["b", "c", "c"], ["d"], ["c"] * 3]
    reference = BM25Okapi(corpus)
    ptr, ids, vocab = to_csr(corpus)
    bm25 = BM25.build(ptr, ids, len(vocab))
    assert bm25.post_tf.dtype == dtype
    for query in (["a"], ["a", "c", "a"], ["b", "d"]):
        np.testing.assert_allclose(
            bm25.scores(query_ids(query, vocab)), reference.get_scores(query), atol=1e-9
        )


def test_negative_idf_gets_epsilon_floor() -> None:
    corpus = [["a", "b"], ["a", "c"], ["a"], ["d", "a", "a"]]
    reference = BM25Okapi(corpus)
    ptr, ids, vocab = to_csr(corpus)
    bm25 = BM25.build(ptr, ids, len(vocab))
    assert bm25.idf[vocab["a"]] == pytest.approx(0.25 * reference.average_idf)
    for query in (["a"], ["a", "a", "d"], ["b", "zzz"]):
        np.testing.assert_allclose(
            bm25.scores(query_ids(query, vocab)), reference.get_scores(query), atol=1e-9
        )


def test_parity_on_seed_corpus() -> None:
    corpus = []
    for path in sorted(SEEDS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                corpus.append(segment(line))
    reference = BM25Okapi(corpus)
    ptr, ids, vocab = to_csr(corpus)
    bm25 = BM25.build(ptr, ids, len(vocab))
    for question in (
        "Bộ trưởng Ngoại giao chủ trì cuộc họp",
        "Đại hội Đảng toàn quốc lần thứ XIV",
        "giá vàng hôm nay",
        "xyzzy",
    ):
        query = segment(question)
        np.testing.assert_allclose(
            bm25.scores(query_ids(query, vocab)), reference.get_scores(query), atol=1e-9
        )


def test_top_k_order_ties_and_candidates() -> None:
    corpus = [["x"], ["y"], ["x"], ["x", "y"], [], ["x"], ["z"] * 3]
    ptr, ids, vocab = to_csr(corpus)
    bm25 = BM25.build(ptr, ids, len(vocab))
    scores = bm25.scores([vocab["x"]])
    docs, top = bm25.top_k([vocab["x"]], 3)
    # docs 0, 2, 5 tie; the lowest indices win and come first.
    assert docs.tolist() == [0, 2, 5]
    np.testing.assert_array_equal(top, scores[docs])
    docs, _ = bm25.top_k([vocab["x"]], 10)
    assert sorted(docs.tolist()) == [0, 2, 3, 5]
    assert bm25.top_k([-1], 5)[0].size == 0
    assert bm25.top_k([vocab["x"]], 0)[0].size == 0


def test_top_k_keeps_matching_documents_scoring_zero_or_less() -> None:
    # "a" is in every document: its idf is floored to epsilon * a negative average.
    corpus = [["a", "b"], ["a"], ["a", "c", "c"]]
    ptr, ids, vocab = to_csr(corpus)
    bm25 = BM25.build(ptr, ids, len(vocab))
    scores = bm25.scores([vocab["a"]])
    assert (scores[:3] < 0).all()
    docs, top = bm25.top_k([vocab["a"]], 5)
    assert sorted(docs.tolist()) == [0, 1, 2]
    np.testing.assert_array_equal(top, np.sort(scores[:3])[::-1])


def test_top_k_on_a_single_document() -> None:
    ptr, ids, vocab = to_csr([["họp_báo", "chính_phủ"]])
    bm25 = BM25.build(ptr, ids, len(vocab))
    assert bm25.top_k([vocab["họp_báo"], -1], 5)[0].tolist() == [0]


def test_top_k_matches_full_sort() -> None:
    rng = np.random.default_rng(42)
    corpus = random_corpus(rng, 300, 60)
    ptr, ids, vocab = to_csr(corpus)
    bm25 = BM25.build(ptr, ids, len(vocab))
    query = [vocab["w3"], vocab["w10"], vocab["w3"]]
    scores = bm25.scores(query)
    matching = [d for d, doc in enumerate(corpus) if {"w3", "w10"} & set(doc)]
    order = sorted(matching, key=lambda d: (-scores[d], d))
    assert len(order) > 17
    for k in (1, 5, 17, 1000):
        docs, top = bm25.top_k(query, k)
        assert docs.tolist() == order[:k]
        np.testing.assert_array_equal(top, scores[docs])


def test_arrays_round_trip_through_read_only_memmaps(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    corpus = random_corpus(rng, 50, 20)
    ptr, ids, vocab = to_csr(corpus)
    bm25 = BM25.build(ptr, ids, len(vocab))
    loaded = {}
    for name, array in bm25.arrays().items():
        np.save(tmp_path / f"{name}.npy", array)
        loaded[name] = np.load(tmp_path / f"{name}.npy", mmap_mode="r", allow_pickle=False)
    restored = BM25.from_arrays(loaded)
    query = [vocab["w0"], vocab["w5"], 999]
    np.testing.assert_array_equal(restored.scores(query), bm25.scores(query))
    assert restored.top_k(query, 4)[0].tolist() == bm25.top_k(query, 4)[0].tolist()


def test_from_arrays_rejects_inconsistent_arrays() -> None:
    ptr, ids, vocab = to_csr([["a", "b"], ["b"]])
    arrays = BM25.build(ptr, ids, len(vocab)).arrays()
    with pytest.raises(ValueError):
        BM25.from_arrays({**arrays, "post_tf": arrays["post_tf"][:-1]})
    with pytest.raises(ValueError):
        BM25.from_arrays({**arrays, "post_tf": arrays["post_tf"].astype(np.float64)})
    with pytest.raises(ValueError):
        BM25.from_arrays({k: v for k, v in arrays.items() if k != "doc_len"})


def test_build_validates_input() -> None:
    with pytest.raises(ValueError):
        BM25.build(np.array([0, 2]), np.array([0, 5], dtype=np.int32), 3)
    with pytest.raises(ValueError):
        BM25.build(np.array([0, 3]), np.array([0, 1], dtype=np.int32), 3)


def test_empty_corpus_scores_nothing() -> None:
    bm25 = BM25.build(np.array([0, 0, 0]), np.zeros(0, dtype=np.int32), 0)
    assert bm25.scores([0]).tolist() == [0.0, 0.0]
    assert bm25.top_k([0], 3)[0].size == 0


def test_top_k_ties_among_many_candidates_go_to_the_lowest_indices() -> None:
    corpus = [["x", "y" if d % 7 == 3 else "z"] for d in range(2000)] + [["v", "w"]] * 3000
    ptr, ids, vocab = to_csr(corpus)
    bm25 = BM25.build(ptr, ids, len(vocab))
    query = [vocab["x"], vocab["y"]]
    docs, top = bm25.top_k(query, 5)
    scores = bm25.scores(query)
    assert docs.tolist() == [3, 10, 17, 24, 31]
    np.testing.assert_array_equal(top, scores[docs])
    docs, _ = bm25.top_k([vocab["x"]], 4)
    assert docs.tolist() == [0, 1, 2, 3]


def test_building_in_small_blocks_and_threads_gives_the_same_arrays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(11)
    corpus = [*random_corpus(rng, 200, 30), []]
    ptr, ids, vocab = to_csr(corpus)
    whole = BM25.build(ptr, ids, len(vocab)).arrays()
    monkeypatch.setattr(building_module, "_BLOCK", 7)
    monkeypatch.setattr(building_module, "_DOC_BLOCK", 3)
    blocks = BM25.build(ptr, ids, len(vocab), threads=3).arrays()
    for name, values in whole.items():
        np.testing.assert_array_equal(blocks[name], values, err_msg=name)


def test_scoring_in_small_blocks_gives_the_same_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(12)
    corpus = random_corpus(rng, 200, 30)
    ptr, ids, vocab = to_csr(corpus)
    bm25 = BM25.build(ptr, ids, len(vocab))
    query = [vocab["w0"], vocab["w1"], vocab["w7"], vocab["w1"]]
    whole = bm25.scores(query)
    monkeypatch.setattr(postings_module, "_SCORE_BLOCK", 7)
    np.testing.assert_array_equal(bm25.scores(query), whole)
    np.testing.assert_allclose(
        whole, BM25Okapi(corpus).get_scores(["w0", "w1", "w7", "w1"]), atol=1e-9
    )
