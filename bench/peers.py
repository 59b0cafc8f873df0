"""hoidap's BM25 top-k beside bm25s (numba and numpy backends) and tantivy, over the same
tokens and the same questions, one query at a time with the engines' order rotated.

The passages are hoidap's own: the term ids of each passage as a built index holds them
(bench/make_corpus.py's resampled corpus, "R"). The realistic-vocabulary corpus ("H")
is made from them: 15 % of the tokens, at random, become terms of a long tail whose
vocabulary grows with the corpus as in real archives (Heaps' law, 59 * tokens^0.59 terms:
about 1.2M at 100k passages and 4.5M at 1M of these 187 tokens a passage, folded forms
included), skewed so that a few are common and most rare.
The queries are the term ids hoidap's question parser gives for the first --queries real
questions; every engine gets those same ids (tantivy as the words "t<id>" in a field cut on
whitespace). Each engine answers its k best for one query per call, single-threaded:
hoidap `BM25.top_k`; bm25s's compiled retrieval (`_retrieve_internal_jitted_serial`, what
its `retrieve` runs per batch, without the Python around it) and, for numpy, `get_scores`
then its `topk`; tantivy a boolean SHOULD query of term queries, `searcher.search`.
Times are wall clock per call; ratios are the median over queries of hoidap / peer.

The tokens and query ids are first written from a built index into a folder of their own
(--index, once), so later runs and other index formats measure the very same input:

    .venv/bin/python -m bench.peers --index bench/data/idx-100k --tokens bench/data/tokens-100k
    .venv/bin/python -m bench.peers --tokens bench/data/tokens-100k --corpus H --out bench/out
"""

import argparse
import itertools
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import questions
from retrieval.bm25 import BM25
from retrieval.index import load_index
from retrieval.query import query_terms

TAIL_SHARE = 0.15


def realistic_vocabulary(
    ptr: np.ndarray, ids: np.ndarray, n_terms: int, seed: int = 7
) -> tuple[np.ndarray, int]:
    """`ids` with TAIL_SHARE of the tokens replaced by long-tail terms (see the module)."""
    rng = np.random.default_rng(seed)
    tail = int(59 * len(ids) ** 0.59)
    out = ids.astype(np.int32).copy()
    replaced = np.flatnonzero(rng.random(len(ids)) < TAIL_SHARE)
    # u**4 puts most draws on the first terms of the tail and spreads the rest thinly.
    out[replaced] = n_terms + (tail * rng.random(len(replaced)) ** 4).astype(np.int32)
    return out, n_terms + tail


def dump_tokens(index_path: Path, folder: Path, n_queries: int) -> None:
    """Write the passages' term ids (ptr.npy, ids.npy) and the query ids (meta.json)."""
    index = load_index(index_path)
    folder.mkdir(parents=True, exist_ok=True)
    ptr = index.sentence_term_ptr[index.passage_sentence_ptr]
    np.save(folder / "ptr.npy", np.asarray(ptr, dtype=np.int64))
    np.save(folder / "ids.npy", np.asarray(index.sentence_term_ids, dtype=np.int32))
    queries = [q for q in (query_terms(index, text) for text in questions()) if q]
    meta = {"n_terms": len(index.vocab), "queries": queries[:n_queries]}
    (folder / "meta.json").write_text(json.dumps(meta))


def _percentiles(ms: np.ndarray) -> dict[str, float]:
    return {"p50_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99))}


def _hoidap(ptr: np.ndarray, ids: np.ndarray, n_terms: int) -> tuple[float, BM25]:
    start = time.perf_counter()
    bm25 = BM25.build(ptr, ids, n_terms)
    return time.perf_counter() - start, bm25


def _bm25s_scores(bm25: BM25) -> dict[str, Any]:
    """bm25s's score matrix (term-major CSC of float32 weights, "robertson" BM25, its own
    formula functions) filled from hoidap's postings: what `bm25s.BM25.index` builds from
    the same tokens, without its Python lists of every token (about 7 GB at 1M passages)."""
    from bm25s.scoring import _select_idf_scorer, _select_tfc_scorer

    postings = bm25.postings
    df = np.diff(postings.term_ptr)
    score_idf = _select_idf_scorer("robertson")
    idf = np.array([score_idf(int(f), N=postings.n_docs) if f else 0.0 for f in df])
    tfc = _select_tfc_scorer("robertson")(
        tf_array=postings.post_tf.astype(np.float32),
        l_d=postings.doc_len[postings.post_docs].astype(np.float32),
        l_avg=np.float32(bm25.stats.avgdl),
        k1=np.float32(1.5),
        b=np.float32(0.75),
    )
    data = (tfc * np.repeat(idf, df).astype(np.float32)).astype(np.float32)
    return {
        "data": data,
        "indices": postings.post_docs.astype(np.int32),
        "indptr": postings.term_ptr.astype(np.int32),
        "num_docs": postings.n_docs,
    }


def _bm25s_build(ptr: np.ndarray, ids: np.ndarray, n_terms: int) -> tuple[float, dict]:
    """bm25s's own indexing from the token lists: its build time and score matrix."""
    import bm25s

    docs = [ids[lo:hi].tolist() for lo, hi in itertools.pairwise(ptr)]
    vocab = {str(t): t for t in range(n_terms)}
    start = time.perf_counter()
    retriever = bm25s.BM25(method="robertson")
    retriever.index((docs, vocab), show_progress=False)
    return time.perf_counter() - start, retriever.scores


def _bm25s(scores: dict[str, Any], backend: str) -> Callable:
    import bm25s
    from bm25s.numba.retrieve_utils import _retrieve_internal_jitted_serial
    from bm25s.selection import topk

    if backend == "numpy":
        retriever = bm25s.BM25(method="robertson")
        retriever.scores = scores
        retriever.nonoccurrence_array = None

        def search(query: list[int], k: int) -> Any:
            return topk(retriever.get_scores_from_ids(query), k, backend="numpy")

        return search

    def search_numba(query: list[int], k: int) -> Any:
        return _retrieve_internal_jitted_serial(
            query_pointers=np.array([0, len(query)], dtype=np.int32),
            query_tokens_ids_flat=np.array(query, dtype=np.int32),
            k=k,
            sorted=True,
            dtype=np.dtype("float32"),
            int_dtype=np.dtype("int32"),
            data=scores["data"],
            indptr=scores["indptr"],
            indices=scores["indices"],
            num_docs=scores["num_docs"],
            nonoccurrence_array=None,
            weight_mask=None,
        )

    return search_numba


def _tantivy(ptr: np.ndarray | None, ids: np.ndarray, folder: Path) -> tuple[float, Callable]:
    """tantivy's build time and search; with `ptr` None, the index already in `folder`."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
    schema = builder.build()
    start = time.perf_counter()
    index = tantivy.Index(schema, path=str(folder))
    if ptr is not None:
        writer = index.writer(heap_size=512_000_000, num_threads=1)
        for lo, hi in itertools.pairwise(ptr):
            body = " ".join(f"t{t}" for t in ids[lo:hi].tolist())
            writer.add_document(tantivy.Document(body=body))
        writer.commit()
        writer.wait_merging_threads()
    index.reload()
    built = time.perf_counter() - start
    searcher = index.searcher()

    def search(query: list[int], k: int) -> Any:
        terms = [
            (tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", f"t{t}")) for t in query
        ]
        return searcher.search(tantivy.Query.boolean_query(terms), k).hits

    return built, search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, help="write --tokens from this built index")
    parser.add_argument("--tokens", type=Path, required=True)
    parser.add_argument("--corpus", choices=["R", "H"], default="R")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--engines", default="hoidap,bm25s-numba,bm25s-numpy,tantivy")
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument(
        "--bm25s-build", action="store_true", help="also time bm25s's own indexing (~7 GB at 1M)"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the built engines in this folder and search them in later runs (so the "
        "timed run, on a quiet machine, builds nothing)",
    )
    parser.add_argument("--build-only", action="store_true", help="build into --keep and stop")
    args = parser.parse_args()
    if args.index:
        dump_tokens(args.index, args.tokens, args.queries)
        return

    meta = json.loads((args.tokens / "meta.json").read_text())
    queries = [[t for t in q if t >= 0] for q in meta["queries"][: args.queries]]
    kept = args.keep / f"{args.corpus}-{args.tokens.name}" if args.keep else None
    if kept:
        kept.mkdir(parents=True, exist_ok=True)
    engines: dict[str, Callable] = {}
    built: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        if kept and (kept / "built.json").exists():
            # Built by an earlier --build-only run (its load noted there).
            built = json.loads((kept / "built.json").read_text())
            bm25 = BM25.from_arrays({n: np.load(kept / f"{n}.npy") for n in BM25.ARRAY_NAMES})
            ptr, ids, tantivy_folder = None, np.zeros(0, dtype=np.int32), kept / "tantivy"
            name = f"{args.corpus}-{bm25.n_docs}"
        else:
            ptr, ids = np.load(args.tokens / "ptr.npy"), np.load(args.tokens / "ids.npy")
            n_terms = meta["n_terms"]
            if args.corpus == "H":
                ids, n_terms = realistic_vocabulary(ptr, ids, n_terms)
            name = f"{args.corpus}-{len(ptr) - 1}"
            built["hoidap"], bm25 = _hoidap(ptr, ids, n_terms)
            tantivy_folder = kept / "tantivy" if kept else Path(folder)
        print(f"{name}: {bm25.n_docs} passages, {len(bm25.post_docs)} postings", flush=True)
        scores = _bm25s_scores(bm25)
        if args.bm25s_build and ptr is not None:
            built["bm25s"], own = _bm25s_build(ptr, ids, bm25.n_terms)
            # The same matrix as filled from the postings, but for float32 rounding.
            for array in ("indptr", "indices"):
                np.testing.assert_array_equal(own[array][: len(scores[array])], scores[array])
            np.testing.assert_allclose(own["data"], scores["data"], rtol=1e-5)
            del own
        for engine in args.engines.split(","):
            if engine == "hoidap":
                engines[engine] = lambda query, k: bm25.top_k(query, k)
            elif engine.startswith("bm25s-"):
                engines[engine] = _bm25s(scores, engine.removeprefix("bm25s-"))
            elif engine == "tantivy":
                tantivy_folder.mkdir(parents=True, exist_ok=True)
                took, engines[engine] = _tantivy(ptr, ids, tantivy_folder)
                built.setdefault(engine, took)
        if kept and ptr is not None:
            for array, values in bm25.arrays().items():
                np.save(kept / f"{array}.npy", values)
            built["load_avg"] = os.getloadavg()[0]
            (kept / "built.json").write_text(json.dumps(built))
        if args.build_only:
            print(f"built: {built}", flush=True)
            return
        print(f"built: {built}", flush=True)
        names = list(engines)
        # Pruning must not change a single id or score: compare with full scoring.
        differ = 0
        for query in queries:
            docs, top = bm25.top_k(query, args.k)
            full = bm25.scores(query)
            order = np.lexsort((np.arange(len(full)), -full))[: len(docs)]
            differ += docs.tolist() != order.tolist() or top.tolist() != full[order].tolist()
        for search in engines.values():  # compile and warm
            for query in queries[:5]:
                search(query, args.k)
        times = {engine: np.zeros(len(queries)) for engine in names}
        load_before = os.getloadavg()[0]
        for i, query in enumerate(queries):
            for j in range(len(names)):
                engine = names[(i + j) % len(names)]
                start = time.perf_counter()
                engines[engine](query, args.k)
                times[engine][i] = (time.perf_counter() - start) * 1e3
    result: dict[str, Any] = {
        "corpus": name,
        "passages": bm25.n_docs,
        "postings": len(bm25.post_docs),
        "terms": bm25.n_terms,
        "queries": len(queries),
        "k": args.k,
        "load_avg": [load_before, os.getloadavg()[0]],
        "cores": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "build_s": built,
        "hoidap_differs_from_full_scoring": differ,
        "search": {engine: _percentiles(times[engine]) for engine in names},
    }
    if "hoidap" in times:
        result["hoidap_over_peer_median"] = {
            engine: float(np.median(times["hoidap"] / times[engine]))
            for engine in names
            if engine != "hoidap"
        }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"peers-{name}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
