"""What the benchmarks share: the real texts they resample and the real questions they ask."""

import json
import re
from pathlib import Path

from retrieval.documents import read_document
from retrieval.sentences import split_sentences

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_QUESTIONS = ROOT / "tests" / "data" / "seed_questions.json"
# Read in place, never copied into the repository (see ../shared/benchmarks/README.md).
VINEWSQA = ROOT.parent / "shared" / "benchmarks" / "vinewsqa-dev.json"


def source_articles() -> list[list[str]]:
    """Each real article as its sentences, headline first: the five seeds as the corpus reader
    sees them, then the 500 ViNewsQA contexts split by the same sentence splitter."""
    articles = []
    for path in sorted(SEEDS.glob("*.txt")):
        parsed = read_document(path, SEEDS)
        if parsed is not None and parsed.sentences:
            articles.append([s.text for s in parsed.sentences])
    for article in json.loads(VINEWSQA.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            text = paragraph["context"]
            sentences = [text[s:e] for s, e in split_sentences(text)]
            if sentences:
                articles.append(sentences)
    return articles


def questions() -> list[str]:
    """Real questions: the seed questions first, then every ViNewsQA dev question."""
    seeds = json.loads(SEED_QUESTIONS.read_text(encoding="utf-8"))
    found = [q["question"] for q in seeds["answerable"]] + list(seeds["unanswerable"])
    for article in json.loads(VINEWSQA.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            found.extend(qa["question"] for qa in paragraph["qas"])
    return [q for q in (re.sub(r"\s+", " ", q).strip() for q in found) if q]
