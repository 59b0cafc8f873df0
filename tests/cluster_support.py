"""What the sharded-index tests share: the seed questions, a copy of the seed corpus, and
comparing an engine's answers with another's."""

import json
import shutil
from pathlib import Path

from retrieval import Engine
from retrieval.engine import DEFAULT_CORPUS
from retrieval.normalize import fold

DATA = Path(__file__).parent / "data"


def seed_questions() -> list[str]:
    """Every seed question as written and typed without diacritics, and out-of-scope ones
    (among them names the seeds never mention)."""
    data = json.loads((DATA / "seed_questions.json").read_text("utf-8"))
    asked = [q["question"] for q in data["answerable"]] + list(data["unanswerable"])
    asked += (DATA / "out_of_scope_questions.txt").read_text("utf-8").splitlines()[:20]
    # Names the seeds never mention, typed in lowercase and ALL CAPS too (capitals read from
    # the candidate sentences, which the shards send).
    asked += json.loads((DATA / "seed_questions_15.json").read_text("utf-8"))["unanswerable"]
    return asked + [fold(q) for q in asked]


def copy_seeds(folder: Path, copies: int = 0) -> Path:
    """The seed corpus in `folder`, with `copies` more of each seed under other names:
    shards large enough that one new article stays a small segment (the merge policy
    folds recent segments into a base less than ten times their size)."""
    corpus = folder / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    for copy in range(copies):
        for seed in sorted(DEFAULT_CORPUS.glob("*.txt")):
            (corpus / f"c{copy}_{seed.name}").write_bytes(seed.read_bytes())
    return corpus


def differences(single: Engine, sharded: Engine, questions: list[str]) -> list[str]:
    """The questions whose answers or passages differ between the two engines: other
    sentences, citations or hints, or scores further apart than 1e-9."""
    differ = []
    for question in questions:
        one, other = single.ask(question).to_dict(), sharded.ask(question).to_dict()
        for a, b in zip(one["sentences"], other["sentences"], strict=False):
            if abs(a.pop("score") - b.pop("score")) > 1e-9:
                differ.append(f"score of {question}")
        hits = [single.search(question, k=5), sharded.search(question, k=5)]
        passages = [
            [(h.passage_id, h.text, h.document, h.start, h.end) for h in found] for found in hits
        ]
        scores_close = all(abs(a.score - b.score) <= 1e-9 for a, b in zip(*hits, strict=False))
        if one != other or passages[0] != passages[1] or not scores_close:
            differ.append(question)
    return differ
