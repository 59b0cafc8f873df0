"""Turning text into index terms: normalise, segment words with pyvi, lowercase.

pyvi's CRF is case-sensitive (capitals mark names), so segmentation happens before
lowercasing. Tokens that hold no letter or digit are punctuation and dropped.
"""

import re

from pyvi import ViTokenizer

from retrieval.normalize import normalize

_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")


def segment(text: str) -> list[str]:
    """Index terms of `text`: multi-syllable words joined by "_", lowercased, no punctuation."""
    terms = []
    for token in ViTokenizer.tokenize(normalize(text)).split():
        term = _EDGE_PUNCTUATION.sub("", token).lower()
        if term:
            terms.append(term)
    return terms


def index_terms(text: str) -> list[str]:
    """Every term a sentence is indexed under; the index calls only this, so a new view of
    the text (another form of the same words) is added here and nowhere else."""
    return segment(text)


__all__ = ["index_terms", "segment"]
