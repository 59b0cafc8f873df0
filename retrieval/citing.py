"""Which of the scored candidate sentences are cited, in what order, or none (an
abstention, a chit-chat reply).

- A first sentence that restates the question (a caption, a headline: RESTATES_SHARE or
  more of its idf weight is the question's) and lacks the kind of answer asked for (a
  place for "ở đâu", people for "ai" ...) gives way to the best sentence of its article
  that offers one, if that scores at most RESTATES_MARGIN less. Measured on ViNewsQA dev
  (hit@1 written / without diacritics): unchanged for shares 0.6-0.7 and margins 0.3-1.0
  (63.24 / 62.31), lower from share 0.5 (63.08 / 62.11 at 1.0); without the restating
  condition, lower from margin 0.2 (63.16; 1.0: 60.83).
- Once a cited sentence offers that kind of answer, a later one that restates the question
  without it is padding ("Toàn cảnh Hội nghị ..." after the place was cited). ViNewsQA dev
  unchanged (hit@3 78.85 / 78.05, 2.91 sentences an answer); leaving out every later
  sentence that does not offer the kind cost 0.9 points of hit@3.
"""

import functools
from collections.abc import Callable, Hashable

import numpy as np

from retrieval.abstention import LONE_MARGIN, RECASING_SENTENCES, abstains
from retrieval.chitchat import chitchat_reply
from retrieval.features import (
    COLUMN_CONTEXT_GAIN,
    COLUMN_ECHO_WEIGHT,
    COLUMN_KIND,
    CONTEXT_GAIN,
    WEIGHTS,
    support,
)
from retrieval.query import Query
from retrieval.results import Answer, Citation

RESTATES_SHARE = 0.6
RESTATES_MARGIN = 1.0

NOT_FOUND_HINT = (
    "Không tìm thấy nội dung trả lời câu hỏi này trong tài liệu. "
    "Hãy thử hỏi cụ thể hơn, dùng tên riêng hoặc từ khóa có trong tài liệu."
)
CHITCHAT_HINT = "Đây không phải là câu hỏi về nội dung tài liệu."
EMPTY_HINT = "Câu hỏi chưa có từ khóa nào để tìm. Hãy hỏi một câu đầy đủ hơn."

# After the first, a sentence scoring this much below the first (of its document language)
# is padding and not cited.
# Measured on ViNewsQA dev (hit@3 written / folded, sentences cited per answer): no gap
# 78.81 / 78.05, 3.00; 1.75 (kept) 78.81 / 78.05, 2.98 (seeds' questions 2.95, all within
# three sentences still); 1.5 78.77 / 78.01, 2.94; 1.25 78.65 / 77.89, 2.86; 1.0 78.49 /
# 77.73, 2.71. A coverage floor instead (0.1-0.3 of the question's weight) or leaving out
# headlines cost more hit@3 for fewer sentences left out. Above the weight of `document`
# plus `passage` (1.6), so a sentence of another article is not left out for its
# article's rank alone (in a corpus of two articles that rank is scaled 0 or 1).
PADDING_GAP = 1.75
# Nor is a sentence holding (with its context) less than this share of the question's
# weight: in a small corpus a passage is the whole article, and "Gió nhẹ." came third
# for "Sáng nay trời nắng hay mưa?". No such sentence is cited second or third on ViNewsQA
# dev (0.05 to 0.08 leave hit@3 as it is).
PADDING_COVERAGE = 0.05


def cited_order(
    sentences: np.ndarray,
    scores: np.ndarray,
    offers: np.ndarray,
    restates: np.ndarray,
    document: Callable[[int], Hashable],
) -> list[int]:
    """Candidate rows best first (ties to the lower sentence id); a first sentence that
    restates the question (`restates`: its echo weight) without the kind of answer asked
    for (`offers`) after the best sentence of its article (`document(row)`) that has one."""
    order = np.lexsort((sentences, -scores)).tolist()
    first = order[0]
    if not restates_only(offers[first], restates[first]):
        return order
    article = document(first)
    for i in order[1:]:
        if scores[i] < scores[first] - RESTATES_MARGIN:
            break
        if offers[i] and document(i) == article:
            order.remove(i)
            return [i, *order]
    return order


def restates_only(offers: bool, restates: float) -> bool:
    """A sentence that restates the question (`restates`: its echo weight) without the kind
    of answer asked for (`offers`)."""
    return not offers and restates >= RESTATES_SHARE


def chitchat(question: str) -> Answer | None:
    """The conversational reply to chit-chat ("Cảm ơn nhé"), None for a question."""
    reply = chitchat_reply(question)
    if reply is None:
        return None
    return Answer(question, answered=False, hint=CHITCHAT_HINT, reply=reply)


def ranked(
    sentences: np.ndarray,
    features: np.ndarray,
    weights: np.ndarray,
    document: Callable[[int], Hashable],
) -> tuple[np.ndarray, list[int], float]:
    """The candidates' scores, their rows in citing order (`retrieval.citing`) and the
    margin of the first over the best sentence of another document (`document(row)`), for
    the abstention; LONE_MARGIN when every candidate is from one document."""
    scores = features @ weights
    order = cited_order(
        sentences, scores, features[:, COLUMN_KIND], features[:, COLUMN_ECHO_WEIGHT], document
    )
    first = order[0]
    for row in np.argsort(-scores, kind="stable").tolist():
        if document(row) != document(first):
            return scores, order, float(scores[first] - scores[row])
    return scores, order, LONE_MARGIN


def choose(
    question: str,
    query: Query,
    sentences: np.ndarray,
    features: np.ndarray,
    cite: Callable[[int, float, bool], Citation],
    max_sentences: int = 3,
    weights: np.ndarray = WEIGHTS,
    text: Callable[[int], str] | None = None,
    document_of: Callable[[int], Hashable] | None = None,
) -> Answer:
    """The answer from the candidate `sentences` and their scaled `features`: the best
    sentences of distinct text, ties to the lower sentence id, or an abstention. `cite(row,
    score, leans)` makes the citation of candidate `row`; `text(row)`, when given, its text
    alone (cheaper: copies of a cited sentence are then passed over without citing them);
    `document_of(row)`, when given, what tells its document apart from the others (cheaper
    than its citation's document: the abstention may ask it of every candidate)."""
    if not query.groups:
        return Answer(question, answered=False, hint=EMPTY_HINT)
    if not len(sentences):
        return Answer(question, answered=False, hint=NOT_FOUND_HINT)
    documents: dict[int, Hashable] = {}

    def document(row: int) -> Hashable:
        if row not in documents:
            documents[row] = (
                cite(row, 0.0, False).document.doc_id if document_of is None else document_of(row)
            )
        return documents[row]

    scores, order, margin = ranked(sentences, features, weights, document)
    sentence_text = text or (lambda row: cite(row, 0.0, False).text)
    if abstains(
        support(features),
        query,
        margin,
        functools.cache(lambda: [sentence_text(i) for i in order[:RECASING_SENTENCES]]),
        lambda: [sentence_text(i) for i in order if document(i) == document(order[0])],
    ):
        return Answer(question, answered=False, hint=NOT_FOUND_HINT)
    citations: list[Citation] = []
    seen: set[str] = set()
    # The best score cited per document language: padding is measured from the best
    # sentence of its own language, as `Engine.ask` may prefer that language's sentences.
    best: dict[str | None, float] = {}
    offered = False
    for i in order:
        if citations and features[i, 0] + features[i, COLUMN_CONTEXT_GAIN] < PADDING_COVERAGE:
            continue
        if offered and restates_only(features[i, COLUMN_KIND], features[i, COLUMN_ECHO_WEIGHT]):
            continue
        if text is not None and text(i) in seen:
            continue
        leans = bool(features[i, COLUMN_CONTEXT_GAIN] >= CONTEXT_GAIN)
        citation = cite(i, float(scores[i]), leans)
        if citation.text in seen:
            continue
        language = citation.document.language
        if scores[i] < best.setdefault(language, float(scores[i])) - PADDING_GAP:
            continue
        seen.add(citation.text)
        citations.append(citation)
        offered = offered or bool(features[i, COLUMN_KIND])
        if len(citations) == max_sentences:
            break
    return Answer(question, answered=True, sentences=citations)


__all__ = ["chitchat", "choose", "cited_order", "ranked", "restates_only"]
