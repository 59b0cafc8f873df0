"""Where hit@1 misses on a SQuAD-format set come from: every question the first cited
sentence does not answer is put in one group (counts in percent of all questions), as
written or typed without diacritics (-f).

    .venv/bin/python -m bench.answer_misses ../shared/benchmarks/vinewsqa-dev.json [-f] [-v]

- abstained: the answerer declined; "(first right)" when its best sentence, cited, would
  have held an answer;
- answer spans sentences: no sentence of the question's article holds a whole gold answer
  (split by the sentence splitter, or several sentences long);
- wrong article: the first sentence is from another article, split by whether the
  question's article is among the candidates at all and whether one of its candidate
  sentences holds an answer; "holds the answer elsewhere" when the winning article
  (a near-duplicate) contains an answer in a sentence that was not cited first;
- right article, wrong sentence: by where the answer stands from the first sentence
  (next / previous / elsewhere in the article) and whether it is cited within three.
-v prints every miss with the cited sentences.
"""

import sys
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np

from retrieval import Engine
from retrieval.citing import ranked
from retrieval.evaluate import Question, load_squad, squad_corpus
from retrieval.normalize import fold


def _holds(text: str, answers: tuple[str, ...]) -> bool:
    folded = unicodedata.normalize("NFC", text).casefold()
    return any(unicodedata.normalize("NFC", a).casefold() in folded for a in answers)


def group(engine: Engine, question: Question, asked: str, contexts: dict[str, str]) -> str:
    """The group of `question` (asked as `asked`), "hit" when the first sentence answers."""
    index, answerer = engine.index, engine.answerer
    answer = engine.ask(asked)
    hits = [_holds(c.text, question.answers) for c in answer.sentences]
    if hits[:1] == [True]:
        return "hit"
    _, sentences, features = answerer.candidates(asked)
    docs = [index.documents[d].doc_id for d in index.sentence_doc[sentences].tolist()]
    holds = [_holds(index.sentence_text(s), question.answers) for s in sentences.tolist()]
    if not answer.answered:
        if not len(sentences):
            return "abstained"
        _, order, _ = ranked(sentences, features, answerer.weights, lambda row: docs[row])
        return "abstained" + (" (first right)" if holds[order[0]] else "")
    doc = next(i for i, d in enumerate(index.documents) if d.doc_id == question.doc_id)
    first = int(np.searchsorted(index.sentence_doc, doc))
    last = int(np.searchsorted(index.sentence_doc, doc, side="right"))
    answering = [s for s in range(first, last) if _holds(index.sentence_text(s), question.answers)]
    if not answering:
        return "answer spans sentences"
    cited = answer.sentences[0]
    if cited.document.doc_id != question.doc_id:
        if _holds(contexts.get(cited.document.doc_id, ""), question.answers):
            return "wrong article, which holds the answer elsewhere"
        if question.doc_id not in docs:
            return "wrong article; the right one not a candidate"
        if not any(h and d == question.doc_id for h, d in zip(holds, docs, strict=True)):
            return "wrong article; the right one a candidate, its answer sentence not"
        return "wrong article; the right one's answer sentence a candidate"
    where = "elsewhere in it"
    if cited.sentence_id + 1 in answering:
        where = "in the next sentence"
    elif cited.sentence_id - 1 in answering:
        where = "in the previous sentence"
    return f"right article, answer {where}" + (" (hit@3)" if any(hits[:3]) else "")


def main() -> None:
    path = Path(next(a for a in sys.argv[1:] if not a.startswith("-")))
    typed, verbose = "-f" in sys.argv, "-v" in sys.argv
    corpus, questions = squad_corpus(path)
    contexts, _ = load_squad(path)
    by_id = {f"ctx-{i:05d}": text for i, text in enumerate(contexts)}
    engine = Engine.open(corpus, corpus.parent / "index", notice=lambda _: None)
    counts: Counter[str] = Counter()
    for question in questions:
        asked = fold(question.question) if typed else question.question
        name = group(engine, question, asked, by_id)
        counts[name] += 1
        if verbose and name != "hit":
            print(f"[{name}] {asked} -> {question.answers[0]!r}")
            for citation in engine.ask(asked).sentences:
                print(f"    {citation.document.doc_id}: {citation.text[:160]}")
    n = len(questions)
    for name, count in counts.most_common():
        print(f"{name:<66} {count:5d} {100 * count / n:6.2f} %")


if __name__ == "__main__":
    main()
