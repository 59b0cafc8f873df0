"""Print the figures of bench/out/*.json (written by bench/run.py) as a Markdown table.

.venv/bin/python -m bench.table bench/out/p10k.json bench/out/p100k.json bench/out/p1m.json
"""

import argparse
import json
from pathlib import Path
from typing import Any


def _get(report: dict[str, Any], *keys: str) -> Any:
    value: Any = report
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _fmt(value: Any, spec: str) -> str:
    return "–" if value is None else format(value, spec)


ROWS = [
    ("passages", ("build", "passages"), ",d"),
    ("documents", ("build", "documents"), ",d"),
    ("characters", ("characters",), ",d"),
    ("build, all workers (s)", ("build", "seconds"), ".1f"),
    ("build throughput (chars/s)", ("build", "chars_per_second"), ",.0f"),
    ("build, 1 worker (s)", ("build_1_worker", "seconds"), ".1f"),
    ("  reading files, all workers (s)", ("build", "phases_seconds", "reading"), ".1f"),
    ("  reading files, 1 worker (s)", ("build_1_worker", "phases_seconds", "reading"), ".1f"),
    (
        "  segmenting and BM25, all workers (s)",
        ("build", "phases_seconds", "segmenting_and_bm25"),
        ".1f",
    ),
    (
        "  segmenting and BM25, 1 worker (s)",
        ("build_1_worker", "phases_seconds", "segmenting_and_bm25"),
        ".1f",
    ),
    ("  saving and loading (s)", ("build", "phases_seconds", "saving_and_loading"), ".1f"),
    ("2 workers vs 1", ("parallel_speedup",), ".2f"),
    ("  most this machine gives 2 processes", ("machine_parallel_speedup",), ".2f"),
    ("peak build memory, main process (MB)", ("build", "peak_rss_mb"), ",.0f"),
    ("peak build memory, largest worker (MB)", ("build", "workers_peak_rss_mb"), ",.0f"),
    ("index on disk (MB)", ("index_disk_mb",), ",.0f"),
    ("load: load_index + Engine (s)", ("serve", "load_seconds"), ".3f"),
    ("Engine.open incl. corpus fingerprint (s)", ("serve", "open_seconds"), ".3f"),
    ("serving RSS after load (MB)", ("serve", "rss_after_load_mb"), ",.0f"),
    ("serving RSS after all queries (MB)", ("serve", "serving_rss_mb"), ",.0f"),
    ("  of which anonymous (MB)", ("serve", "serving_rss_anon_mb"), ",.0f"),
    ("  of which mapped index files (MB)", ("serve", "serving_rss_file_mb"), ",.0f"),
    ("search p50 (ms)", ("serve", "search", "p50_ms"), ".2f"),
    ("search p99 (ms)", ("serve", "search", "p99_ms"), ".2f"),
    ("search p50, second pass (ms)", ("serve", "search_second_pass", "p50_ms"), ".2f"),
    ("search p99, second pass (ms)", ("serve", "search_second_pass", "p99_ms"), ".2f"),
    ("  query terms p50, third pass (ms)", ("serve", "query_terms", "p50_ms"), ".2f"),
    ("  BM25 top_k p50, third pass (ms)", ("serve", "top_k", "p50_ms"), ".2f"),
    ("ask p50 (ms)", ("serve", "ask", "p50_ms"), ".2f"),
    ("ask p99 (ms)", ("serve", "ask", "p99_ms"), ".2f"),
    ("queries compared with rank_bm25", ("rank_bm25", "queries"), "d"),
    ("BM25.top_k p50, same queries (ms)", ("rank_bm25", "top_k", "p50_ms"), ".2f"),
    ("rank_bm25 get_scores p50 (ms)", ("rank_bm25", "rank_bm25", "p50_ms"), ",.1f"),
    ("rank_bm25 / top_k (p50)", ("rank_bm25", "ratio_p50"), ",.0f"),
    ("largest score difference", ("rank_bm25", "max_score_difference"), ".1e"),
    ("add one document (s)", ("incremental", "add_one_seconds"), ".2f"),
    ("remove it again (s)", ("incremental", "remove_one_seconds"), ".2f"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("reports", type=Path, nargs="+")
    args = parser.parse_args()
    reports = [json.loads(path.read_text()) for path in args.reports]
    print("| | " + " | ".join(path.stem for path in args.reports) + " |")
    print("| --- |" + " ---: |" * len(reports))
    for label, keys, spec in ROWS:
        print(f"| {label} | " + " | ".join(_fmt(_get(r, *keys), spec) for r in reports) + " |")


if __name__ == "__main__":
    main()
