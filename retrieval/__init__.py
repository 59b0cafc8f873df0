"""hoidap's retriever: Vietnamese documents in, cited sentences out. Knows nothing of Telegram."""

from retrieval.documents import CorpusError, Document
from retrieval.engine import DEFAULT_CORPUS, Engine
from retrieval.index import IndexUnreadable
from retrieval.results import Answer, Citation, PassageHit

__all__ = [
    "DEFAULT_CORPUS",
    "Answer",
    "Citation",
    "CorpusError",
    "Document",
    "Engine",
    "IndexUnreadable",
    "PassageHit",
]
