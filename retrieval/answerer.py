"""Extractive answering: score the sentences of the best passages, quote the best ones.

Every sentence of the top passages gets a few features (how much of the question's
weight it holds, over the corpus and within its own article, how its passage ranks, how
its whole document ranks by BM25, whether it offers the kind of answer the question word
asks for, whether it merely echoes the question, what its neighbours hold) and is scored
by a weighted sum. The weights were fitted on UIT-ViNewsQA dev by
`bench/fit_answer_weights.py`; the question's weight is the BM25 idf of its terms.

A question whose best sentence (with its context) covers too little of that weight is
not answered: quoting a loosely related sentence as an answer would mislead more than
saying nothing. `retrieval/abstention.py` decides how little is too little.
"""

import math
from dataclasses import dataclass

import numpy as np

from retrieval.citing import chitchat, choose
from retrieval.features import (
    FEATURES,
    WEIGHTS,
    scaled,
    term_weights,
)
from retrieval.index import Index
from retrieval.query import Query, parse_query, search_terms
from retrieval.question_types import offers, question_kind
from retrieval.results import Answer, Citation

# Documents longer than this many sentences are seen through windows of WINDOW sentences
# either side of the candidates (see `_units`; 30 MB in one file: 80-86 ms a question with
# 100, 384-430 ms with 500). The longest ViNewsQA dev article has 38
# sentences, the longest seed 47.
LONG_DOCUMENT = 2000
WINDOW = 100
# Document BM25 parameters, measured on ViNewsQA with the documents' idf: k1 0.9-2.0 are
# within 0.3 points; full length normalisation (b 1.0 against 0.75) adds 0.1-0.4 points of
# gold document first and hit@1, written and without diacritics (held out).
DOC_K1, DOC_B = 1.2, 1.0


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """All integers of the half-open ranges [starts[i], ends[i]) back to back."""
    counts = ends - starts
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
    return offsets + np.arange(int(counts.sum()))


def _units(sentence_doc: np.ndarray, sentences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sentence ranges [first, last) (sorted, disjoint) whose document-level features
    the candidate `sentences` get: their whole documents, but for a document longer than
    LONG_DOCUMENT sentences (a book, an archive dumped into one file) only the sentences
    within WINDOW of a candidate. A question's work is then bounded by the window rather
    than growing with one document's size (a 30 MB text took seconds and hundreds of MB
    a question); articles are far shorter, and their features are unchanged."""
    docs = np.unique(sentence_doc[sentences])
    doc_first = np.searchsorted(sentence_doc, docs)
    doc_last = np.searchsorted(sentence_doc, docs, side="right")
    long = doc_last - doc_first > LONG_DOCUMENT
    if not long.any():
        return doc_first, doc_last
    ranges = [(int(a), int(b)) for a, b in zip(doc_first[~long], doc_last[~long], strict=True)]
    for lo, hi in zip(doc_first[long].tolist(), doc_last[long].tolist(), strict=True):
        inside = np.unique(sentences[(sentences >= lo) & (sentences < hi)]).tolist()
        start, end = max(lo, inside[0] - WINDOW), min(hi, inside[0] + WINDOW + 1)
        for s in inside[1:]:
            if s - WINDOW > end:
                ranges.append((start, end))
                start = max(lo, s - WINDOW)
            end = min(hi, s + WINDOW + 1)
        ranges.append((start, end))
    ranges.sort()
    return np.array([a for a, _ in ranges]), np.array([b for _, b in ranges])


@dataclass(frozen=True)
class _Documents:
    """The candidate documents' sentences, back to back: document i's sentences are
    `first[i]` .. `last[i] - 1`, at rows `rows[i]` on of `present` (row r, word g: the
    sentence holds a form of the question's word g), `echo` and `echo_weight` (the share
    of the sentence's terms, and of their idf weight, that are the question's); `tf[i, j]`:
    how often document i holds the question's term `ids[j]`."""

    first: np.ndarray
    last: np.ndarray
    rows: np.ndarray
    present: np.ndarray
    echo: np.ndarray
    echo_weight: np.ndarray
    tf: np.ndarray
    ids: np.ndarray


class Answerer:
    def __init__(
        self,
        index: Index,
        passages: int = 30,
        weights: np.ndarray = WEIGHTS,
    ) -> None:
        self.index = index
        self.passages = passages
        self.weights = weights
        # A term the corpus never uses weighs as much as its rarest term: a question about
        # something absent should not be answered by what little else it shares.
        self.unknown_weight = float(index.bm25.idf.max()) if len(index.vocab) else 1.0
        n_docs = max(len(index.documents), 1)
        self.average_doc_terms = max(float(index.sentence_term_ptr[-1]) / n_docs, 1.0)

    def _matches(
        self, query: Query, n_ranges: int, terms: np.ndarray, owner: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Where the question's terms occur among `terms` (the term ids of `n_ranges` ranges
        of `sentence_term_ids` back to back, `owner[j]` the range of `terms[j]`):
        present[i, g] (range i holds a form of word g) and, per occurrence, its range and
        the position of its id in `ids` (the question's term ids, sorted; an id repeated
        there is matched at its first position only)."""
        present = np.zeros((n_ranges, len(query.groups)), dtype=bool)
        pairs = sorted({(t, g) for g, group in enumerate(query.groups) for t in group})
        if not pairs or not n_ranges:
            empty = np.zeros(0, dtype=np.int64)
            return present, empty, empty, empty
        ids, groups = (np.array(column) for column in zip(*pairs, strict=True))
        # Few of the documents' terms are the question's: a table over the vocabulary
        # finds those (5x faster than a binary search of every term at 100k passages).
        wanted = np.zeros(len(self.index.bm25.idf), dtype=bool)
        wanted[ids] = True
        hit = np.flatnonzero(wanted[terms])
        at = np.searchsorted(ids, terms[hit])
        present[owner[hit], groups[at]] = True
        return present, owner[hit], at, ids

    def _documents(self, query: Query, first: np.ndarray, last: np.ndarray) -> _Documents:
        """The question's words in every sentence of the documents (or, see `_units`, parts
        of documents) holding sentences first[i] .. last[i] - 1 (sorted, disjoint)."""
        index = self.index
        ptr = index.sentence_term_ptr
        sentences = _ranges(first, last)
        starts, ends = ptr[sentences], ptr[sentences + 1]
        terms = np.asarray(index.sentence_term_ids[_ranges(starts, ends)])
        term_owner = np.repeat(np.arange(len(starts)), ends - starts)
        present, owner, at, ids = self._matches(query, len(starts), terms, term_owner)
        echo = np.bincount(owner, minlength=len(starts)) / np.maximum(ends - starts, 1)
        # In a corpus of a few passages a word in most of them has a negative idf, and a
        # sentence's weights could sum to about zero: echo_weight then ran to -1e9. Words
        # weigh at least nothing (no idf is negative on ViNewsQA or the seeds).
        idf = index.bm25.idf
        weight = np.bincount(term_owner, np.maximum(idf[terms], 0.0), minlength=len(starts))
        echoed = np.bincount(owner, np.maximum(idf[ids[at]], 0.0), minlength=len(starts))
        echo_weight = echoed / np.maximum(weight, 1e-9)
        rows = np.cumsum(last - first) - (last - first)
        doc_of_row = np.repeat(np.arange(len(first)), last - first)
        tf = np.zeros((len(first), len(ids)))
        np.add.at(tf, (doc_of_row[owner], at), 1.0)
        return _Documents(first, last, rows, present, echo, echo_weight, tf, ids)

    def _document_scores(self, found: _Documents) -> np.ndarray:
        """BM25 of each whole document (`scaled` divides it by the best of them).

        A passage sees a third of its article; the question's other words are often
        elsewhere in the same article, which is what tells two similar articles apart.
        The terms' idf counts documents (`Index.document_idf`): with the passages' idf,
        gold document first 79.7 / 78.4 % (written / without diacritics, held out)
        against 80.3 / 79.1 %."""
        ptr = self.index.sentence_term_ptr
        norm = DOC_K1 * (
            1 - DOC_B + DOC_B * (ptr[found.last] - ptr[found.first]) / self.average_doc_terms
        )
        tf = found.tf
        weights = tf * (DOC_K1 + 1) / (tf + norm[:, None]) * self.index.document_idf[found.ids]
        # Each row summed exactly (then rounded once): the same double whatever the order of
        # the terms' ids and the number of rows, which differ in a shard of a sharded index.
        return np.array([math.fsum(row) for row in weights.tolist()])

    @staticmethod
    def _local_weights(found: _Documents, word_weights: np.ndarray) -> np.ndarray:
        """Each document's weights of the question's words: the word weight times an idf
        over the document's own sentences, as a share of the words the document holds.

        The article's topic ("chuối", a person's name) is rare in the corpus but in most
        of the article's sentences; the words that single out one sentence of it (what
        the question asks about that topic) are the ones rare within the article."""
        counts = found.last - found.first
        in_sentences = np.add.reduceat(found.present, found.rows, axis=0)
        weights = word_weights * np.log((counts[:, None] + 1) / (in_sentences + 0.5))
        weights = np.where(in_sentences > 0, weights, 0.0)
        return weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)

    def candidates(self, question: str) -> tuple[Query, np.ndarray, np.ndarray]:
        """The question, the candidate sentences and their features (columns: FEATURES)."""
        index = self.index
        query = parse_query(index, question)
        passages, passage_scores = index.bm25.top_k(search_terms(index, query), self.passages)
        if not query.groups or not len(passages):
            return query, np.zeros(0, dtype=np.int64), np.zeros((0, len(FEATURES)))
        weights = term_weights(query, index.bm25.idf, self.unknown_weight)
        sentences, features = self.passage_features(
            question, query, passages, passage_scores, weights
        )
        return query, sentences, scaled(features)

    def passage_features(
        self,
        question: str,
        query: Query,
        passages: np.ndarray,
        passage_scores: np.ndarray,
        weights: tuple[np.ndarray, np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray]:
        """The sentences of `passages` and their features before `scaled`: each feature
        but those two depends only on the sentence, its document and the question's
        `weights` (words', pairs'), so the shards of a sharded index compute them apart."""
        index = self.index
        word_weights, pair_weights = weights
        ptr = index.passage_sentence_ptr
        starts, ends = ptr[passages], ptr[passages + 1]
        sentences = _ranges(starts, ends)
        unit_first, unit_last = _units(index.sentence_doc, sentences)
        doc = np.searchsorted(unit_first, sentences, side="right") - 1
        found = self._documents(query, unit_first, unit_last)

        # A sentence's row among its documents' sentences; its neighbours' rows, or the
        # empty row past the last when the neighbour is in another document.
        row = found.rows[doc] + sentences - found.first[doc]
        doc_of = index.sentence_doc[sentences]
        first_of_doc = sentences == np.searchsorted(index.sentence_doc, doc_of)
        empty = len(found.present)
        present = np.vstack([found.present, np.zeros((1, len(query.groups)), dtype=bool)])
        before = present[np.where(first_of_doc, empty, row - 1)]
        after = present[np.where(sentences + 1 == found.last[doc], empty, row + 1)]
        present = present[row]
        coverage = present @ word_weights
        kind = question_kind(question)
        features = np.column_stack(
            [
                coverage,
                present @ pair_weights,
                np.repeat(passage_scores, ends - starts),
                self._document_scores(found)[doc],
                (present | before) @ word_weights - coverage,
                after @ word_weights,
                [
                    kind is not None and offers(kind, index.sentence_text(s), question)
                    for s in sentences.tolist()
                ],
                found.echo[row],
                first_of_doc,
                (present * self._local_weights(found, word_weights)[doc]).sum(axis=1),
                found.echo_weight[row],
            ]
        )
        return sentences, features

    def answer(self, question: str, max_sentences: int = 3) -> Answer:
        replied = chitchat(question)
        if replied is not None:
            return replied
        query, sentences, features = self.candidates(question)
        return choose(
            question,
            query,
            sentences,
            features,
            lambda row, score, leans: self._cite(int(sentences[row]), score, leans),
            max_sentences,
            self.weights,
            lambda row: self.index.sentence_text(int(sentences[row])),
            lambda row: int(self.index.sentence_doc[sentences[row]]),
        )

    def _cite(self, sentence: int, score: float, leans: bool) -> Citation:
        index = self.index
        return Citation(
            sentence_id=sentence,
            text=index.sentence_text(sentence),
            document=index.documents[int(index.sentence_doc[sentence])],
            start=int(index.sentence_start[sentence]),
            end=int(index.sentence_end[sentence]),
            score=round(score, 6),
            context=index.sentence_text(sentence - 1) if leans else None,
        )
