"""One shard of a sharded index: its own index scored with the global statistics.

A shard answers in global terms: its requests name terms as strings (its ids are its
own), and it returns global passage and sentence ids with raw scores and features, which
the coordinator merges as one index would rank them. The same class serves in process
and inside a Ray actor (`retrieval.cluster.serving`).
"""

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.bm25 import BM25, CorpusStats
from retrieval.cluster import store
from retrieval.cluster.stats import shard_terms
from retrieval.documents import Document
from retrieval.engine import Engine
from retrieval.features import CONTEXT_GAIN, FEATURES
from retrieval.index import Index, IndexUnreadable
from retrieval.index.live_bm25 import SegmentedBM25
from retrieval.index.segments import SegmentCache, load_live
from retrieval.query import Query, passage_terms

_CONTEXT_GAIN = FEATURES.index("context_gain")


@dataclass(frozen=True)
class Request:
    """A question parsed against the global vocabulary: each word's forms as terms, the
    terms passage search scores (in scoring order), the words' and pairs' weights."""

    question: str
    words: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...]
    search: tuple[str, ...]
    word_weights: np.ndarray
    pair_weights: np.ndarray


@dataclass(frozen=True)
class Passages:
    """A shard's best passages for some terms, best first: global ids, raw BM25 scores
    and, when asked for, what a `PassageHit` shows (document, text, offsets)."""

    ids: np.ndarray
    scores: np.ndarray
    hits: list[tuple[Document, str, int, int]]


@dataclass(frozen=True)
class Candidates:
    """A shard's candidate sentences for a `Request`: the passages they come from, and
    for each sentence its passage (a position in `passages`), global id, raw features
    and what its citation quotes (text, document, offsets, context when it leans on
    the previous sentence)."""

    passages: Passages
    k: int
    passage: np.ndarray
    sentences: np.ndarray
    features: np.ndarray
    quotes: list[tuple[str, Document, int, int, str | None]]


@dataclass(frozen=True, eq=False)
class ShardStats(CorpusStats):
    """The corpus's statistics under one shard's term ids. The idf is the corpus's as
    merged: its epsilon floor is a mean over the whole vocabulary, which the shard's
    terms alone would not give."""

    corpus_idf: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))

    @property
    def idf(self) -> np.ndarray:  # type: ignore[override]
        return self.corpus_idf


class Shard:
    """Shard `number` of the sharded index at `root`, with the global statistics of
    generation `generation` in place of its own. The shard is a live index (segments and
    deletions, see retrieval.index): with the `cache` of a previous generation's shard,
    only the segments an update added are loaded."""

    def __init__(
        self, root: Path, number: int, generation: str, cache: SegmentCache | None = None
    ) -> None:
        meta = store.load_meta(root, generation)
        self.cache = cache or SegmentCache()
        index = load_live(store.shard_path(root, number), self.cache)
        manifest = (meta.get("manifests") or [index.manifest] * (number + 1))[number]
        if index.fingerprint != meta["fingerprints"][number] or index.manifest != manifest:
            raise IndexUnreadable(f"shard {number} changed after {generation} was merged")
        overlay = store.load_overlay(root, generation, number)
        own = index.bm25.stats
        stats = ShardStats(
            int(meta["n_passages"]),
            int(meta["total_length"]),
            overlay.df,
            own.k1,
            own.b,
            own.epsilon,
            corpus_idf=overlay.idf,
        )
        bm25: BM25 | SegmentedBM25
        if len(index.segments) == 1 and not len(index.segments[0].deleted):
            bm25 = BM25(index.bm25.postings, stats)
        else:
            bm25 = SegmentedBM25(
                index.segments, index.maps, overlay.df, own.k1, own.b, own.epsilon, stats
            )
        self.index: Index = dataclasses.replace(index, bm25=bm25, document_idf=overlay.document_idf)
        self.generation = generation
        self.number = number
        self.engine = Engine(self.index)
        # Term of each id, made at the first question typed without diacritics.
        self.terms: list[str] | None = None
        self.answerer = self.engine.answerer
        self.answerer.average_doc_terms = float(meta["average_doc_terms"])
        # Global id of every local passage, and of each document's first sentence.
        passage_doc = np.asarray(index.sentence_doc)[np.asarray(index.passage_sentence_ptr[:-1])]
        first_passage = np.searchsorted(passage_doc, np.arange(len(overlay.doc_passage)))
        self.passage_ids = overlay.doc_passage[passage_doc] + (
            np.arange(len(passage_doc)) - first_passage[passage_doc]
        )
        self.first_passage = first_passage
        self.doc_sentence = overlay.doc_sentence
        self.first_sentence = np.searchsorted(
            np.asarray(index.sentence_doc), np.arange(len(overlay.doc_sentence))
        )

    def _ids(self, terms: tuple[str, ...]) -> list[int]:
        vocab = self.index.vocab
        return [vocab[t] for t in terms if t in vocab]

    def _top(self, terms: tuple[str, ...], k: int) -> tuple[np.ndarray, np.ndarray]:
        """The `k` best local passages for `terms` and their scores, ties broken by global
        id as one index breaks them. Segments number passages in their own order (an added
        document comes last), so passages tied at the k-th score are all fetched first."""
        ids = self._ids(terms)
        if k < 1:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        want = k + 1
        while True:
            passages, scores = self.index.bm25.top_k(ids, want)
            if len(passages) < want or scores[-1] < scores[k - 1]:
                break
            want *= 2
        order = np.lexsort((self.passage_ids[passages], -scores))[:k]
        return passages[order], scores[order]

    def warm(self) -> None:
        """A search for the shard's commonest terms: what the first question would wait for
        otherwise (loading the compiled top-k kernel, seconds; the postings' first pages)
        is done when the shard is loaded."""
        common = np.argsort(np.asarray(self.index.bm25.stats.df))[-3:]
        self.index.bm25.top_k(common.tolist(), self.answerer.passages)

    def segment_names(self) -> list[str]:
        """The segments this shard's replica serves (to see that an update reached it)."""
        return [segment.name for segment in self.index.segments]  # type: ignore[attr-defined]

    def _global_sentences(self, local: np.ndarray) -> np.ndarray:
        doc = np.asarray(self.index.sentence_doc)[local]
        return self.doc_sentence[doc] + (local - self.first_sentence[doc])

    def top(self, terms: tuple[str, ...], k: int) -> Passages:
        """The `k` best passages for `terms`, scored in that order, with their hits."""
        passages, scores = self._top(terms, k)
        found = [self.hit(int(p)) for p in passages.tolist()]
        return Passages(self.passage_ids[passages], scores, found)

    def hit(self, passage: int) -> tuple[Document, str, int, int]:
        """What a `PassageHit` of local passage `passage` shows."""
        found = self.engine.passage(passage, rank=0, score=0.0)
        return found.document, found.text, found.start, found.end

    def feedback(self, terms: tuple[str, ...], k: int) -> tuple[Passages, list[list[str]]]:
        """The `k` best passages for `terms` and the terms each holds (`feedback_terms`)."""
        passages, scores = self._top(terms, k)
        if self.terms is None:
            self.terms = shard_terms(self.index)
        held = [[self.terms[t] for t in passage_terms(self.index, [p])] for p in passages.tolist()]
        return Passages(self.passage_ids[passages], scores, []), held

    def document_text(self, doc_id: str) -> str:
        return self.engine.document_text(doc_id)

    def passage_of(
        self, document: int, sentence: int
    ) -> tuple[int, tuple[Document, str, int, int]]:
        """The global id and hit of the passage holding sentence `sentence` of local
        document `document`."""
        ptr = self.index.passage_sentence_ptr
        local = int(self.first_sentence[document]) + sentence
        passage = int(np.searchsorted(ptr, local, side="right")) - 1
        return int(self.passage_ids[passage]), self.hit(passage)

    def passage(self, document: int, offset: int) -> tuple[Document, str, int, int]:
        """The hit of passage `offset` of local document `document`."""
        return self.hit(int(self.first_passage[document]) + offset)

    def candidates(self, request: Request) -> Candidates:
        local = tuple(tuple(self._ids(group)) for group in request.groups)
        query = Query(request.question, request.words, local)
        k = self.answerer.passages
        local_passages, scores = self._top(request.search, k)
        passages = Passages(self.passage_ids[local_passages], scores, [])
        if not len(local_passages):
            empty = np.zeros(0, dtype=np.int64)
            return Candidates(passages, k, empty, empty, np.zeros((0, len(FEATURES))), [])
        sentences, features = self.answerer.passage_features(
            request.question,
            query,
            local_passages,
            passages.scores,
            (request.word_weights, request.pair_weights),
        )
        ptr = self.index.passage_sentence_ptr
        counts = np.asarray(ptr[local_passages + 1] - ptr[local_passages])
        index = self.index
        quotes = [
            (
                index.sentence_text(s),
                index.documents[int(index.sentence_doc[s])],
                int(index.sentence_start[s]),
                int(index.sentence_end[s]),
                index.sentence_text(s - 1) if leans else None,
            )
            for s, leans in zip(
                sentences.tolist(),
                (features[:, _CONTEXT_GAIN] >= CONTEXT_GAIN).tolist(),
                strict=True,
            )
        ]
        return Candidates(
            passages,
            k,
            np.repeat(np.arange(len(local_passages)), counts),
            self._global_sentences(sentences),
            features,
            quotes,
        )
