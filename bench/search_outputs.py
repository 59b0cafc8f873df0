"""Every output of the question path, one JSON line per question and corpus, to diff before
and after a change meant to be speed only: the parsed query (every field), the search terms,
`Engine.search`'s hits and `Engine.ask`'s answer.

Questions: the seed questions, every ViNewsQA dev question, the issue-15 seed questions and
the out-of-scope ones; each as written, folded (no diacritics), and the first 300 lowercased
and 100 uppercased. Corpora: the ViNewsQA dev contexts and the seeds (search and ask), and
an index given with `--index` (parse and search, k = 30, the first 4,000 questions).

    .venv/bin/python -m bench.search_outputs before.jsonl --index bench/data/idx-100k
    (change, then)  .venv/bin/python -m bench.search_outputs after.jsonl --index ...
    cmp before.jsonl after.jsonl

Paths in the answers name the corpus folder: run both sides from the same checkout and
cache folder, or replace the folder names before comparing.
"""

import argparse
import dataclasses
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from bench.common import ROOT, VINEWSQA, questions
from retrieval.engine import Engine
from retrieval.evaluate import squad_corpus
from retrieval.index import load_index
from retrieval.normalize import fold
from retrieval.query import parse_query, query_terms

DATA = ROOT / "tests" / "data"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def all_questions() -> list[str]:
    found = questions()
    found += [
        s
        for s in _strings(json.loads((DATA / "seed_questions_15.json").read_text("utf-8")))
        if len(s) > 5
    ]
    for name in ("out_of_scope_questions.txt", "out_of_scope_held_out.txt"):
        found += [q for q in (DATA / name).read_text("utf-8").splitlines() if q.strip()]
    written = list(dict.fromkeys(found))
    return (
        written
        + [fold(q) for q in written]
        + [q.lower() for q in written[:300]]
        + [q.upper() for q in written[:100]]
    )


def _default(value: Any) -> Any:
    return sorted(value) if isinstance(value, frozenset) else str(value)


def dump(out: TextIO, engine: Engine, label: str, texts: list[str], ask: bool, k: int) -> None:
    index = engine.index
    for text in texts:
        query = parse_query(index, text)
        record: dict[str, Any] = {
            "question": text,
            "query": [getattr(query, f.name) for f in dataclasses.fields(query)],
            "terms": query_terms(index, text),
            "hits": [
                (h.rank, h.score, h.passage_id, h.text, h.start, h.end, h.document.doc_id)
                for h in engine.search(text, k=k)
            ],
        }
        if ask:
            record["answer"] = engine.ask(text).to_dict()
        out.write(label + "\t" + json.dumps(record, ensure_ascii=False, default=_default) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--index", type=Path, help="a built index: parse and search only")
    args = parser.parse_args()
    texts = all_questions()
    with args.out.open("w", encoding="utf-8") as out:
        corpus, _ = squad_corpus(VINEWSQA)
        news = Engine.open(corpus, corpus.parent / "index", notice=lambda _: None)
        dump(out, news, "vinewsqa", texts, ask=True, k=10)
        with tempfile.TemporaryDirectory() as folder:
            seeds = Engine.open(index=Path(folder) / "index", notice=lambda _: None)
            dump(out, seeds, "seeds", texts, ask=True, k=10)
        if args.index:
            dump(out, Engine(load_index(args.index)), "index", texts[:4000], ask=False, k=30)
    print(f"{len(texts)} questions written to {args.out}")


if __name__ == "__main__":
    main()
