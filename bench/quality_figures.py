"""Issue 15's answer-quality figures in one run: ViNewsQA dev as written and typed without
diacritics (hit@1, hit@3, answered, sentences cited), out-of-scope questions abstained
over the health news and over the seeds, and the seed questions (tests/data) written and
folded: captions, answerable, unanswerable, chit-chat.

    .venv/bin/python -m bench.quality_figures [-v]     (-v lists the misses)
"""

import json
import sys
import tempfile
import unicodedata
from pathlib import Path

from bench.common import VINEWSQA
from retrieval import Engine
from retrieval.evaluate import squad_corpus
from retrieval.normalize import fold

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def _casefold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _rates(engine: Engine, items: list[tuple[str, tuple[str, ...]]], typed: bool) -> tuple:
    hit1 = hit3 = answered = cited = 0
    misses = []
    for question, expect in items:
        answer = engine.ask(fold(question) if typed else question)
        hits = [any(_casefold(e) in _casefold(c.text) for e in expect) for c in answer.sentences]
        hit1 += hits[:1] == [True]
        hit3 += any(hits[:3])
        answered += answer.answered
        cited += len(answer.sentences)
        if hits[:1] != [True]:
            misses.append(question)
    return hit1, hit3, answered, cited, misses


def main() -> None:
    verbose = "-v" in sys.argv
    corpus, questions = squad_corpus(VINEWSQA)
    news = Engine.open(corpus, corpus.parent / "index", notice=lambda _: None)
    with tempfile.TemporaryDirectory() as folder:
        seeds = Engine.open(index=Path(folder) / "index", notice=lambda _: None)
        items = [(q.question, q.answers) for q in questions]
        n = len(items)
        for typed in (False, True):
            h1, h3, answered, cited, _ = _rates(news, items, typed)
            name = "without diacritics" if typed else "written"
            print(
                f"ViNewsQA dev {name}: hit@1 {100 * h1 / n:.2f} hit@3 {100 * h3 / n:.2f} "
                f"answered {100 * answered / n:.2f} % sentences cited {cited / n:.2f}"
            )
        out_of_scope = ("questions", "held_out", "fresh")
        for name in (f"out_of_scope_{part}.txt" for part in out_of_scope):
            asked = [q for q in (DATA / name).read_text("utf-8").splitlines() if q.strip()]
            declined = [sum(not e.ask(q).answered for q in asked) for e in (news, seeds)]
            print(
                f"{name}: abstained over health news {declined[0]}/{len(asked)}, over the "
                f"seeds {declined[1]}/{len(asked)} ({50 * sum(declined) / len(asked):.1f} %)"
            )
        for name in ("seed_questions.json", "seed_questions_15.json"):
            data = json.loads((DATA / name).read_text("utf-8"))
            for section in ("caption", "answerable"):
                items = [(i["question"], tuple(i["expect"])) for i in data.get(section, [])]
                for typed in (False, True) if items else ():
                    h1, h3, answered, _, misses = _rates(seeds, items, typed)
                    print(
                        f"{name} {section} {'folded' if typed else 'written'}: hit@1 "
                        f"{h1}/{len(items)} hit@3 {h3} answered {answered}"
                        + (f" missed {misses}" if verbose else "")
                    )
            unanswerable = data.get("unanswerable", [])
            answered = [q for q in unanswerable if seeds.ask(q).answered]
            print(
                f"{name} unanswerable: abstained {len(unanswerable) - len(answered)}/"
                f"{len(unanswerable)}" + (f" answered {answered}" if verbose else "")
            )
            if "chitchat" in data:
                replied = sum(seeds.ask(q).reply is not None for q in data["chitchat"])
                wrong = sum(seeds.ask(q).reply is not None for q in data["not_chitchat"])
                print(f"chit-chat replied {replied}/{len(data['chitchat'])}, questions {wrong}")


if __name__ == "__main__":
    main()
