"""Open-domain evaluation on SQuAD-format data: every context is a document of one corpus,
every question is answered over the whole corpus.

A passage or sentence "contains" a gold answer when the answer text occurs in it after NFC
and casefolding. Passage recall@k counts a hit when one of the first k passages comes from
the gold document and contains an answer.
"""

import hashlib
import json
import statistics
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from retrieval.index import cache_root
from retrieval.results import Answer, PassageHit


@dataclass(frozen=True)
class Question:
    question: str
    doc_id: str
    answers: tuple[str, ...]


class Answering(Protocol):
    def search(self, query: str, k: int = 5) -> list[PassageHit]: ...
    def ask(self, question: str, max_sentences: int = 3) -> Answer: ...


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def load_squad(path: Path) -> tuple[list[str], list[Question]]:
    """Contexts in file order and their questions; doc ids are the contexts' file stems."""
    data = json.loads(path.read_text(encoding="utf-8"))
    contexts: list[str] = []
    questions: list[Question] = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            doc_id = f"ctx-{len(contexts):05d}"
            contexts.append(paragraph["context"])
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"] if a["text"]))
                if answers:
                    questions.append(Question(qa["question"], doc_id, answers))
    return contexts, questions


def squad_corpus(path: Path) -> tuple[Path, list[Question]]:
    """Write the contexts of `path` as a corpus folder in the cache (once per file content)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    folder = cache_root() / f"squad-{digest}" / "corpus"
    contexts, questions = load_squad(path)
    if not folder.is_dir() or len(list(folder.glob("*.txt"))) != len(contexts):
        folder.mkdir(parents=True, exist_ok=True)
        for number, context in enumerate(contexts):
            (folder / f"ctx-{number:05d}.txt").write_text(context, encoding="utf-8")
    return folder, questions


def _contains(text: str, answers: Iterable[str]) -> bool:
    folded = _fold(text)
    return any(_fold(a) in folded for a in answers)


def evaluate(
    engine: Answering,
    questions: Sequence[Question],
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Retrieval and answer metrics over `questions` (percentages, latency in ms)."""
    recall = {1: 0, 5: 0, 10: 0}
    reciprocal_rank = 0.0
    hit1 = hit3 = gold_doc = answered = 0
    latencies: list[float] = []
    for number, q in enumerate(questions, start=1):
        hits = engine.search(q.question, k=10)
        relevant = [
            h.rank for h in hits if h.document.doc_id == q.doc_id and _contains(h.text, q.answers)
        ]
        if relevant:
            for k in recall:
                recall[k] += relevant[0] <= k
            reciprocal_rank += 1.0 / relevant[0]
        started = time.perf_counter()
        answer = engine.ask(q.question)
        latencies.append((time.perf_counter() - started) * 1000)
        cited = [_contains(c.text, q.answers) for c in answer.sentences]
        answered += answer.answered
        hit1 += cited[:1] == [True]
        hit3 += any(cited[:3])
        gold_doc += bool(answer.sentences) and answer.sentences[0].document.doc_id == q.doc_id
        if progress and (number % 250 == 0 or number == len(questions)):
            progress(f"evaluated {number}/{len(questions)} questions")
    n = len(questions) or 1
    latencies.sort()
    return {
        "questions": len(questions),
        "recall@1": 100 * recall[1] / n,
        "recall@5": 100 * recall[5] / n,
        "recall@10": 100 * recall[10] / n,
        "mrr@10": reciprocal_rank / n,
        "hit@1": 100 * hit1 / n,
        "hit@3": 100 * hit3 / n,
        "gold_document@1": 100 * gold_doc / n,
        "answered": 100 * answered / n,
        "latency_ms_p50": statistics.median(latencies) if latencies else 0.0,
        "latency_ms_p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0,
    }


def format_report(metrics: dict[str, Any]) -> str:
    return "\n".join(
        f"{name:>16}: {value:.3f}" if isinstance(value, float) else f"{name:>16}: {value}"
        for name, value in metrics.items()
    )
