"""BM25 over term-major postings, numerically matching `rank_bm25.BM25Okapi`.

rank_bm25 keeps one Python dict per document and loops over all documents for every query
term, which is far too slow and large for a million passages. Here the same formula runs on
flat numpy postings: building is a sort of (term, doc) keys, a query term touches its
postings only.

Statistics and postings are apart, so that a corpus split into parts (segments of a live
index, shards of a cluster) still scores exactly as rank_bm25 over the whole corpus:

    parts = [Postings.build(ptr, ids, n_terms) for ptr, ids in pieces]   # or from_arrays
    stats = CorpusStats.combine(p.stats() for p in parts)              # N, total length, df
    hits = [p.top_k(query_ids, k, stats, deleted=mask) for p in parts]  # then merge by score

- `CorpusStats` (stats.py): n_docs, total_length, df per term id, k1, b, epsilon; derives
  avgdl and the idf with rank_bm25's epsilon floor (the average idf of the terms present).
  A part's own statistics are `Postings.stats()`; `combine` sums parts over one vocabulary.
  Deleted documents are left out of the statistics by whoever counts them.
- `Postings` (postings.py): term_ptr / post_docs / post_tf / doc_len, plus per-term bounds
  (largest tf, shortest document) that stay valid under any statistics, so a part keeps
  them unchanged when the corpus around it changes. `scores` and `top_k` take the
  statistics; `deleted` (a boolean mask over the part's documents) leaves documents out.
  Scores of equal statistics are the same doubles whatever the part.
- `BM25` (okapi.py): one whole index, its postings with their own statistics, the API the
  rest of hoidap uses (`build`, `arrays`/`from_arrays`, `scores`, `top_k`, `idf`).
"""

from retrieval.bm25.okapi import BM25
from retrieval.bm25.postings import Postings
from retrieval.bm25.stats import CorpusStats

__all__ = ["BM25", "CorpusStats", "Postings"]
