"""The plain baseline the answerer is measured against: pyvi + rank_bm25 over single
sentences, the best sentence wins, never abstains. Only `hoidap eval --baseline` uses it."""

from pathlib import Path

from pyvi import ViTokenizer
from rank_bm25 import BM25Okapi

from retrieval.documents import load_corpus
from retrieval.results import Answer, Citation, PassageHit


def _plain_tokens(text: str) -> list[str]:
    # pyvi keeps punctuation as tokens; left in, every question's "?" and every comma
    # would count as a match (hit@1 45.1 instead of 51.7 on ViNewsQA dev).
    return [t for t in ViTokenizer.tokenize(text).lower().split() if any(c.isalnum() for c in t)]


class SentenceBaseline:
    def __init__(self, corpus: Path) -> None:
        self.sentences = [
            (parsed.document, sentence)
            for parsed in load_corpus(corpus)
            for sentence in parsed.sentences
        ]
        self.bm25 = BM25Okapi([_plain_tokens(s.text) for _, s in self.sentences])

    def search(self, query: str, k: int = 5) -> list[PassageHit]:
        scores = self.bm25.get_scores(_plain_tokens(query))
        best = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        hits = []
        for rank, i in enumerate(best, start=1):
            document, sentence = self.sentences[i]
            hits.append(
                PassageHit(
                    rank, float(scores[i]), document, i, sentence.text, sentence.start, sentence.end
                )
            )
        return hits

    def ask(self, question: str, max_sentences: int = 3) -> Answer:
        citations = [
            Citation(h.passage_id, h.text, h.document, h.start, h.end, h.score)
            for h in self.search(question, k=max_sentences)
        ]
        return Answer(question, answered=True, sentences=citations)
