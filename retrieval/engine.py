"""The public face of the retriever: open a corpus, search it, ask it.

`bot/` and the command line use only this module and the result types, so the index
layout and the answerer can change behind it.
"""

import dataclasses
import functools
import itertools
import os
import sys
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from retrieval.answerer import Answerer
from retrieval.documents import Document
from retrieval.formats import extract
from retrieval.index import Index, open_index
from retrieval.index.records import documents_with_path
from retrieval.normalize import has_diacritics
from retrieval.query import query_terms
from retrieval.results import Answer, Citation, PassageHit

if TYPE_CHECKING:
    from retrieval.watch import Watcher


def _bundled_seeds() -> Path:
    # Installed wheels carry the seeds inside the package; a checkout keeps them at the top.
    packaged = Path(__file__).resolve().parent / "seeds"
    return packaged if packaged.is_dir() else packaged.parent.parent / "seeds"


DEFAULT_CORPUS = _bundled_seeds()
# Typed without diacritics and with an abbreviation, so that every lazy part is filled.
_WARM_UP = "ai chu tri hop BNG ngay 31/12"


def _to_stderr(message: str) -> None:
    print(f"hoidap: {message}", file=sys.stderr, flush=True)


def vietnamese_first(question: str, answer: Answer) -> Answer:
    """`answer` without its sentences from documents in another language when it also
    has Vietnamese ones and the question is written with diacritics (see `Engine.ask`)."""
    foreign = [c for c in answer.sentences if c.document.language not in (None, "vi")]
    if foreign and len(foreign) < len(answer.sentences) and has_diacritics(question):
        kept = [c for c in answer.sentences if c not in foreign]
        return dataclasses.replace(answer, sentences=kept)
    return answer


class Engine:
    """A loaded index with search and question answering over it. `swap` replaces the
    index while questions are being answered: each call works on the state it started
    with, so a question never mixes two states."""

    def __init__(
        self, index: Index, corpus: Path | None = None, index_path: Path | None = None
    ) -> None:
        self._state = (index, Answerer(index))
        self.corpus, self.index_path = corpus, index_path

    @classmethod
    def open(
        cls,
        corpus: Path | None = None,
        index: Path | None = None,
        notice: Callable[[str], None] = _to_stderr,
        cluster: str | None = None,
    ) -> "Engine":
        """Load the index of `corpus` (default: the bundled seeds), building it when needed.
        With a Ray cluster's address in `cluster` or HOIDAP_RAY_ADDRESS, the engine of the
        corpus's sharded index served on that cluster (see retrieval.cluster)."""
        address = cluster or os.environ.get("HOIDAP_RAY_ADDRESS")
        if address:
            from retrieval.cluster import open_cluster

            return open_cluster(Path(corpus or DEFAULT_CORPUS), index, address, notice)
        corpus = Path(corpus or DEFAULT_CORPUS)
        return cls(open_index(corpus, index, notice=notice), corpus, index)

    @property
    def index(self) -> Index:
        return self._state[0]

    @property
    def answerer(self) -> Answerer:
        return self._state[1]

    def swap(self, index: Index) -> None:
        """Answer from `index` from now on (one assignment: atomic between questions).
        A question asked here first, in the caller's thread (the watcher's), fills what
        an index works out at its first question (spellings of words typed without
        diacritics, abbreviations, BM25 norms), so no user's question waits for it."""
        answerer = Answerer(index)
        answerer.answer(_WARM_UP)
        self._state = (index, answerer)

    def watch(self, notice: Callable[[str], None] | None = None) -> "Watcher | None":
        """Keep this engine current with its corpus folder from a thread (see `watch`);
        stop it with the returned watcher's `stop()`."""
        from retrieval.index import default_index_path
        from retrieval.watch import Watcher

        corpus = self.corpus or DEFAULT_CORPUS
        path = self.index_path or default_index_path(corpus)
        watcher = (
            Watcher(self, corpus, path)
            if notice is None
            else Watcher(self, corpus, path, notice=notice)
        )
        return watcher.start()

    @property
    def documents(self) -> Sequence[Document]:
        return self.index.live_documents

    def search(self, query: str, k: int = 5) -> list[PassageHit]:
        """The `k` best passages for `query`, best first; empty when no term matches."""
        index = self.index
        passages, scores = index.bm25.top_k(query_terms(index, query), k)
        return passage_hits(index, passages.tolist(), scores.tolist(), first_rank=1)

    def ask(self, question: str, max_sentences: int = 3) -> Answer:
        """Up to `max_sentences` cited sentences answering `question`, or an abstention.

        Documents in another language (see `retrieval.formats.language`) are indexed and
        searched like the others, but answer a Vietnamese question only when no Vietnamese
        document does: a name or a number shared with an English page must not push the
        Vietnamese sentences out."""
        return vietnamese_first(question, self.answerer.answer(question, max_sentences))

    def document_text(self, doc_id: str) -> str:
        """The text the citations of document `doc_id` point into (offsets `start:end`);
        raises KeyError for an unknown id."""
        index = self.index
        for i, document in enumerate(index.documents):
            if document.doc_id == doc_id and not index.is_deleted(i):
                stored = index.document_text(i)
                return stored if stored is not None else extract(document.path).text
        raise KeyError(doc_id)

    def passage_of(self, sentence_id: int) -> PassageHit:
        """The passage that holds sentence `sentence_id` of the current index. Ids are
        positions in one state of the index: to show a citation of an earlier answer, use
        `cited_passage`."""
        return _passage_of(self.index, sentence_id)

    def cited_passage(self, citation: Citation) -> PassageHit | None:
        """The passage of the current index around `citation` (to show it in context),
        found by its file and offsets: a sentence id moves when segments are merged or
        documents change. None when its document was removed or changed since, so that
        the sentence is no longer there: a deleted document is never shown."""
        index = self.index
        sentence = _cited_sentence(index, citation)
        return None if sentence is None else _passage_of(index, sentence)

    def passage(self, passage_id: int, rank: int, score: float) -> PassageHit:
        return _passage(self.index, passage_id, rank, score)


def _quotes(index: Index, sentence: int, citation: Citation) -> bool:
    """Whether live sentence `sentence` of `index` is the one `citation` quotes."""
    if not 0 <= sentence < index.n_sentences:
        return False
    document = int(index.sentence_doc[sentence])
    return (
        not index.is_deleted(document)
        and int(index.sentence_start[sentence]) == citation.start
        and int(index.sentence_end[sentence]) == citation.end
        and index.sentence_text(sentence) == citation.text
        and index.documents[document].path == citation.document.path
    )


def _cited_sentence(index: Index, citation: Citation) -> int | None:
    """The id in `index` of the sentence `citation` quotes, None when it is gone."""
    if _quotes(index, citation.sentence_id, citation):
        return citation.sentence_id  # nothing moved it
    for document in documents_with_path(index.documents, citation.document.path):
        if index.is_deleted(document):
            continue
        first = int(np.searchsorted(index.sentence_doc, document))
        last = int(np.searchsorted(index.sentence_doc, document, side="right"))
        starts = np.asarray(index.sentence_start[first:last])
        for sentence in (first + np.flatnonzero(starts == citation.start)).tolist():
            if _quotes(index, sentence, citation):
                return sentence
    return None


def _passage_of(index: Index, sentence_id: int) -> PassageHit:
    passage_id = int(np.searchsorted(index.passage_sentence_ptr, sentence_id, side="right")) - 1
    return _passage(index, passage_id, rank=0, score=0.0)


# Documents of recent hits, per index's documents: decoding a stored document's record
# (JSON, its path) costs as much as reading a passage's text, and hits of successive
# questions share documents. Weakly keyed, so a swapped-out index is not kept.
_RECENT_DOCUMENTS: "weakref.WeakKeyDictionary[Sequence[Document], Callable[[int], Document]]" = (
    weakref.WeakKeyDictionary()
)
_RECENT_SIZE = 4096


def _document(index: Index, d: int) -> Document:
    documents = index.documents
    try:
        read = _RECENT_DOCUMENTS.get(documents)
        if read is None:
            read = _RECENT_DOCUMENTS[documents] = functools.lru_cache(_RECENT_SIZE)(
                documents.__getitem__
            )
    except TypeError:  # a list built in memory: nothing to decode
        return documents[d]
    return read(d)


def _passage(index: Index, passage_id: int, rank: int, score: float) -> PassageHit:
    return passage_hits(index, [passage_id], [score], first_rank=rank)[0]


def passage_hits(
    index: Index, passage_ids: list[int], scores: list[float], first_rank: int
) -> list[PassageHit]:
    """The passages `passage_ids`, ranked from `first_rank` on. Each read of a mapped array
    is checked (about 10 us) and reading hit by hit was most of their time: the offsets of
    all the hits are read at once, then each passage's sentences, which lie back to back
    in the text blob, in one read of their bytes."""
    n = len(passage_ids)
    if not n:
        return []
    at = np.asarray(passage_ids, dtype=np.int64)
    bounds = np.asarray(index.passage_sentence_ptr[np.concatenate([at, at + 1])]).tolist()
    firsts, lasts = bounds[:n], bounds[n:]
    first_at = np.asarray(firsts, dtype=np.int64)
    documents = np.asarray(index.sentence_doc[first_at]).tolist()
    starts = np.asarray(index.sentence_start[first_at]).tolist()
    ends = np.asarray(index.sentence_end[np.asarray(lasts, dtype=np.int64) - 1]).tolist()
    # Every hit's sentence offsets, first..last inclusive, laid end to end.
    counts = np.asarray(lasts, dtype=np.int64) - first_at + 1
    spans = np.repeat(first_at - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    text_ptr = np.asarray(index.sentence_text_ptr[spans]).tolist()
    hits = []
    offset = 0
    for i, passage_id in enumerate(passage_ids):
        ptr = text_ptr[offset : offset + lasts[i] - firsts[i] + 1]
        offset += len(ptr)
        blob = bytes(index.sentence_text_blob[ptr[0] : ptr[-1]])
        text = " ".join(
            blob[lo - ptr[0] : hi - ptr[0]].decode("utf-8") for lo, hi in itertools.pairwise(ptr)
        )
        document = _document(index, documents[i])
        hits.append(
            PassageHit(first_rank + i, scores[i], document, passage_id, text, starts[i], ends[i])
        )
    return hits
