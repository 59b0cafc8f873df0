"""Extractive answering: pick the sentences of the best passages that hold the question's terms.

A sentence is scored by how much of the question's weight (BM25 idf of each distinct
content term) it contains, plus a smaller share of its passage's BM25 score so that a
sentence in the most relevant passage wins ties. A question whose best sentence covers too
little of that weight is not answered: quoting a loosely related sentence as an answer
would mislead more than saying nothing.
"""

import numpy as np

from retrieval.index import Index
from retrieval.query import content_terms
from retrieval.results import Answer, Citation

NOT_FOUND_HINT = (
    "Không tìm thấy nội dung trả lời câu hỏi này trong tài liệu. "
    "Hãy thử hỏi cụ thể hơn, dùng tên riêng hoặc từ khóa có trong tài liệu."
)
EMPTY_HINT = "Câu hỏi chưa có từ khóa nào để tìm. Hãy hỏi một câu đầy đủ hơn."


class Answerer:
    def __init__(
        self,
        index: Index,
        passages: int = 10,
        min_coverage: float = 0.5,
        passage_weight: float = 0.3,
    ) -> None:
        self.index = index
        self.passages = passages
        self.min_coverage = min_coverage
        self.passage_weight = passage_weight
        # A term the corpus never uses weighs as much as its rarest term: a question about
        # something absent should not be answered by what little else it shares.
        self.unknown_weight = float(index.bm25.idf.max()) if len(index.vocab) else 1.0

    def answer(self, question: str, max_sentences: int = 3) -> Answer:
        vocab, idf = self.index.vocab, self.index.bm25.idf
        weights = {
            t: (float(idf[vocab[t]]) if t in vocab else self.unknown_weight)
            for t in content_terms(question)
        }
        if not weights:
            return Answer(question, answered=False, hint=EMPTY_HINT)
        known = [vocab[t] for t in weights if t in vocab]
        passages, passage_scores = self.index.bm25.top_k(known, self.passages)
        if not len(passages):
            return Answer(question, answered=False, hint=NOT_FOUND_HINT)

        total = sum(weights.values())
        term_weight = {vocab[t]: w for t, w in weights.items() if t in vocab}
        # Min-max, because BM25 scores of tiny corpora can be zero or negative.
        top, low = float(passage_scores[0]), float(passage_scores[-1])
        spread = top - low
        scored: list[tuple[float, float, int]] = []
        for passage, passage_score in zip(passages, passage_scores, strict=True):
            first, last = self.index.passage_sentence_ptr[passage : passage + 2]
            for sentence in range(int(first), int(last)):
                present = np.unique(self.index.sentence_terms(sentence))
                coverage = sum(term_weight.get(int(t), 0.0) for t in present) / total
                relative = (float(passage_score) - low) / spread if spread > 0 else 1.0
                score = coverage + self.passage_weight * relative
                scored.append((score, coverage, sentence))
        scored.sort(key=lambda item: (-item[0], item[2]))

        best_coverage = max(coverage for _, coverage, _ in scored)
        if best_coverage < self.min_coverage:
            return Answer(question, answered=False, hint=NOT_FOUND_HINT)
        floor = max(self.min_coverage, 0.6 * best_coverage)
        citations: list[Citation] = []
        seen: set[str] = set()
        for score, coverage, sentence in scored:
            text = self.index.sentence_text(sentence)
            if coverage < floor or text in seen:
                continue
            seen.add(text)
            citations.append(self._cite(sentence, text, score))
            if len(citations) == max_sentences:
                break
        return Answer(question, answered=True, sentences=citations)

    def _cite(self, sentence: int, text: str, score: float) -> Citation:
        index = self.index
        return Citation(
            sentence_id=sentence,
            text=text,
            document=index.documents[int(index.sentence_doc[sentence])],
            start=int(index.sentence_start[sentence]),
            end=int(index.sentence_end[sentence]),
            score=round(score, 6),
        )
