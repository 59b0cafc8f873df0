"""hoidap's retriever: Vietnamese documents in, cited sentences out. Knows nothing of Telegram.

The names below are imported when first used (PEP 562), so `import retrieval.cli` for
`hoidap --help` does not load numpy, the index and the segmenter.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retrieval.documents import CorpusError, Document
    from retrieval.engine import DEFAULT_CORPUS, Engine
    from retrieval.index import IndexUnreadable
    from retrieval.results import Answer, Citation, PassageHit

_WHERE = {
    "DEFAULT_CORPUS": "retrieval.engine",
    "Answer": "retrieval.results",
    "Citation": "retrieval.results",
    "CorpusError": "retrieval.documents",
    "Document": "retrieval.documents",
    "Engine": "retrieval.engine",
    "IndexUnreadable": "retrieval.index",
    "PassageHit": "retrieval.results",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'retrieval' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)


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
