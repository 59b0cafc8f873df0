"""Seed-question figures for the README: hit@1 / hit@3 / answered over the bundled seeds,
as written, typed without diacritics and as variants, and how many out-of-scope questions
are abstained.

    .venv/bin/python -m bench.seed_questions
"""

import json
import tempfile
from pathlib import Path

from bench.common import SEED_QUESTIONS
from retrieval import Engine
from retrieval.normalize import fold

OUT_OF_SCOPE = [
    SEED_QUESTIONS.parent / "out_of_scope_questions.txt",
    SEED_QUESTIONS.parent / "out_of_scope_held_out.txt",
]


def _rates(engine: Engine, items: list[dict], typed: str) -> str:
    hit1 = hit3 = answered = 0
    for item in items:
        question = fold(item["question"]) if typed == "folded" else item["question"]
        answer = engine.ask(question)
        cited = [any(e in c.text for e in item["expect"]) for c in answer.sentences]
        answered += answer.answered
        hit1 += cited[:1] == [True]
        hit3 += any(cited)
    n = len(items)
    return f"{typed:>9}: hit@1 {hit1}/{n}, hit@3 {hit3}/{n}, answered {answered}/{n}"


def main() -> None:
    data = json.loads(SEED_QUESTIONS.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        engine = Engine.open(index=Path(folder) / "index", notice=lambda _: None)
        print(_rates(engine, data["answerable"], "written"))
        print(_rates(engine, data["answerable"], "folded"))
        print(_rates(engine, data["variants"], "variants"))
        out_of_scope = list(data["unanswerable"])
        for path in OUT_OF_SCOPE:
            out_of_scope += [q for q in path.read_text("utf-8").splitlines() if q.strip()]
        abstained = sum(not engine.ask(q).answered for q in out_of_scope)
        print(f"out of scope: {abstained}/{len(out_of_scope)} abstained")


if __name__ == "__main__":
    main()
