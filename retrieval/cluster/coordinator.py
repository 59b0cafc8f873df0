"""The `Engine` of a sharded index: a question fans out to every shard, the coordinator
merges what they return and chooses exactly as one index of the whole corpus would.

The coordinator parses the question against the global vocabulary (so a word counts as
known when any shard holds it) and weighs it with the global idf; each shard returns its
best passages with their global ids and scores, and its candidate sentences with their
features; the coordinator keeps the passages the whole index would have kept (the best
scores, ties to the lower global id), scales the candidates together and chooses.
"""

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from retrieval.citing import chitchat, choose
from retrieval.cluster import store
from retrieval.cluster.shard import Candidates, Passages, Request
from retrieval.cluster.stats import GlobalStats
from retrieval.documents import Document
from retrieval.engine import Engine, vietnamese_first
from retrieval.features import scaled, term_weights
from retrieval.index import IndexUnreadable
from retrieval.index.model import offsets
from retrieval.index.records import Records, document_of
from retrieval.query import FEEDBACK_PASSAGES, Query, parse_query, search_terms
from retrieval.results import Answer, Citation, PassageHit

_log = logging.getLogger(__name__)

INCOMPLETE_HINT = (
    "Một phần tài liệu tạm thời không truy cập được, nên chưa thể trả lời đầy đủ. "
    "Vui lòng hỏi lại sau ít phút."
)


class ShardsUnavailable(IndexUnreadable):
    """No replica of some shards answered in time: any answer would come from part of
    the documents only."""

    def __init__(self, shards: list[int]) -> None:
        super().__init__(
            f"shard(s) {', '.join(map(str, shards))} did not answer in time: "
            "the documents are temporarily incomplete, try again shortly"
        )
        self.shards = shards


class Shards(Protocol):
    """Calls `method(*args)` on every shard of generation `generation` and returns their
    results in shard order; raises ShardsUnavailable when some shard does not answer."""

    def call(
        self, generation: str, method: str, args: tuple[Any, ...], shards: Sequence[int]
    ) -> list[Any]: ...


@dataclass(eq=False)
class _Frequencies:
    """The part of `BM25` that parsing and choosing search terms read: each term's
    passage frequency (as postings offsets) and idf."""

    term_ptr: np.ndarray
    idf: np.ndarray


@dataclass(eq=False)
class GlobalView:
    """What `parse_query` and `search_terms` read of an index, for the whole corpus."""

    vocab: dict[str, int]
    abbreviations: dict[str, str]
    bm25: _Frequencies
    n_passages: int

    @classmethod
    def of(cls, stats: GlobalStats) -> "GlobalView":
        return cls(
            vocab={term: i for i, term in enumerate(stats.terms)},
            abbreviations=stats.abbreviations,
            bm25=_Frequencies(offsets(stats.passage_df), stats.idf),
            n_passages=stats.n_passages,
        )


def _best(found: list[Passages], k: int) -> list[tuple[int, int]]:
    """(shard, position) of the `k` best passages among the shards' `found`: the best
    scores first, ties to the lower global id, as one index's `top_k` orders them."""
    ids = np.concatenate([p.ids for p in found]).astype(np.int64)
    scores = np.concatenate([p.scores for p in found]).astype(np.float64)
    where = [(s, i) for s, p in enumerate(found) for i in range(len(p.ids))]
    return [where[j] for j in np.lexsort((ids, -scores))[:k].tolist()]


class ClusterEngine(Engine):
    """`Engine` over the sharded index at `root`, its shards reached through `shards`
    (in process, or Ray actors). It holds no index of its own: `index` and `answerer`
    are not set."""

    def __init__(self, root: Path, shards: Shards, corpus: Path | None = None) -> None:
        self.root = root
        self.shards = shards
        self.corpus = corpus
        self.generation = ""
        self._refresh()

    def watch(self, notice: Callable[[str], None] | None = None) -> Any:
        """Keep the sharded index current with its corpus folder from a thread, as its
        writer while no other process is one (see `watching`); every call follows the live
        generation (`_refresh`) whoever writes it. Returns the watcher (`stop()`)."""
        from retrieval.cluster.watching import ShardedWatcher

        if self.corpus is None:
            return None
        # Connected to a cluster (the actors then load each update as soon as it is saved).
        ray = sys.modules.get("ray")
        use_ray = ray is not None and ray.is_initialized()
        watcher = ShardedWatcher(self.corpus, self.root, notice or _log.info, use_ray=use_ray)
        return watcher.start()

    def _refresh(self) -> None:
        """Follow an update: the global statistics of the live generation."""
        generation = store.current_generation(self.root)
        if generation != self.generation:
            self.stats = store.load_global(self.root, generation)
            self.view = GlobalView.of(self.stats)
            self.unknown_weight = float(self.stats.idf.max()) if len(self.stats.terms) else 1.0
            self.generation = generation

    def _call(self, method: str, *args: Any) -> list[Any]:
        self._refresh()
        shards = range(len(self.stats.fingerprints))
        return self.shards.call(self.generation, method, args, shards)

    @property
    def documents(self) -> Sequence[Document]:
        return Records(self.stats.record_ptr, self.stats.record_blob, document_of)

    def _feedback(self, view: Any, terms: list[int]) -> set[int]:
        """`feedback_terms` over the shards: the terms of the passages one index would
        return for `terms`."""
        found: list[tuple[Passages, list[list[str]]]] = self._call(
            "feedback", tuple(self.stats.terms[t] for t in terms), FEEDBACK_PASSAGES
        )
        best = _best([passages for passages, _ in found], FEEDBACK_PASSAGES)
        return {view.vocab[term] for s, i in best for term in found[s][1][i]}

    def _parse(self, text: str) -> Query:
        return parse_query(self.view, text, self._feedback)  # type: ignore[arg-type]

    def search(self, query: str, k: int = 5) -> list[PassageHit]:
        self._refresh()
        terms = tuple(self.stats.terms[t] for t in search_terms(self.view, self._parse(query)))  # type: ignore[arg-type]
        found: list[Passages] = self._call("top", terms, k)
        return [
            PassageHit(rank, float(found[s].scores[i]), *_hit(found[s], i))
            for rank, (s, i) in enumerate(_best(found, k), start=1)
        ]

    def ask(self, question: str, max_sentences: int = 3) -> Answer:
        replied = chitchat(question)
        if replied is not None:
            return replied
        self._refresh()
        view, terms = self.view, self.stats.terms
        try:
            query = self._parse(question)
        except ShardsUnavailable:
            return Answer(question, answered=False, hint=INCOMPLETE_HINT)
        empty = np.zeros(0, dtype=np.int64)
        if not query.groups:
            return choose(question, query, empty, np.zeros((0, 0)), _no_cite, max_sentences)
        words, pairs = term_weights(query, view.bm25.idf, self.unknown_weight)
        request = Request(
            question,
            query.words,
            tuple(tuple(terms[t] for t in group) for group in query.groups),
            tuple(terms[t] for t in search_terms(view, query)),  # type: ignore[arg-type]
            words,
            pairs,
        )
        try:
            found: list[Candidates] = self._call("candidates", request)
        except ShardsUnavailable:
            return Answer(question, answered=False, hint=INCOMPLETE_HINT)
        rows, quotes = [], []
        for s, i in _best([c.passages for c in found], found[0].k):
            rows.append((s, np.flatnonzero(found[s].passage == i)))
        sentences = np.concatenate([found[s].sentences[r] for s, r in rows] or [empty])
        features = np.concatenate(
            [found[s].features[r] for s, r in rows] or [np.zeros((0, found[0].features.shape[1]))]
        )
        quotes = [found[s].quotes[j] for s, r in rows for j in r.tolist()]

        def cite(row: int, score: float, leans: bool) -> Citation:
            text, document, start, end, context = quotes[row]
            return Citation(
                int(sentences[row]),
                text,
                document,
                start,
                end,
                round(score, 6),
                context if leans else None,
            )

        answer = choose(question, query, sentences, scaled(features), cite, max_sentences)
        return vietnamese_first(question, answer)

    def document_text(self, doc_id: str) -> str:
        for i, document in enumerate(self.documents):
            if document.doc_id == doc_id:
                shard = int(self.stats.doc_shard[i])
                (text,) = self.shards.call(self.generation, "document_text", (doc_id,), [shard])
                return text
        raise KeyError(doc_id)

    def passage_of(self, sentence_id: int) -> PassageHit:
        self._refresh()
        stats = self.stats
        document = int(np.searchsorted(stats.doc_sentence, sentence_id, side="right")) - 1
        shard, local = int(stats.doc_shard[document]), int(stats.doc_local[document])
        offset = sentence_id - int(stats.doc_sentence[document])
        (found,) = self.shards.call(self.generation, "passage_of", (local, offset), [shard])
        passage_id, hit = found
        return PassageHit(0, 0.0, hit[0], passage_id, *hit[1:])

    def cited_passage(self, citation: Citation) -> PassageHit | None:
        """As `Engine.cited_passage`. Sentence ids hold within one generation of the
        sharded index: the passage at the citation's id is shown only while it still holds
        the sentence quoted, so a citation of an older generation is refused, never shown
        beside another passage."""
        self._refresh()
        if not 0 <= citation.sentence_id < int(self.stats.doc_sentence[-1]):
            return None
        hit = self.passage_of(citation.sentence_id)
        return hit if hit.holds(citation) else None

    def passage(self, passage_id: int, rank: int, score: float) -> PassageHit:
        self._refresh()
        stats = self.stats
        document = int(np.searchsorted(stats.doc_passage, passage_id, side="right")) - 1
        shard, local = int(stats.doc_shard[document]), int(stats.doc_local[document])
        offset = passage_id - int(stats.doc_passage[document])
        (hit,) = self.shards.call(self.generation, "passage", (local, offset), [shard])
        return PassageHit(rank, score, hit[0], passage_id, *hit[1:])


def _hit(found: Passages, i: int) -> tuple[Document, int, str, int, int]:
    document, text, start, end = found.hits[i]
    return document, int(found.ids[i]), text, start, end


def _no_cite(row: int, score: float, leans: bool) -> Citation:
    raise AssertionError("an empty question has no candidates")
