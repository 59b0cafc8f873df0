"""Turning text into index terms: normalise, segment words with pyvi, lowercase.

pyvi's CRF (run without scikit-learn, see `segmenter`) is case-sensitive (capitals mark
names), so segmentation happens before lowercasing. Tokens that hold no letter or digit
are punctuation and dropped.

pyvi cannot segment text typed without diacritics, so every sentence is also indexed
under its folded syllables and syllable pairs ("~chu", "~chu_tri"); the "~" keeps them
apart from segmented terms, whose folded spelling would otherwise collide ("đau"/"dau").
"""

import itertools
import re

from retrieval import segmenter
from retrieval.normalize import fold, normalize

_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")
# Syllable pairs never reach across punctuation: "Hà Nội, Huế" holds no "nội huế".
_PHRASE = re.compile(r"[^\W_]+(?:\s+[^\W_]+)*")
FOLDED = "~"


def segment(text: str) -> list[str]:
    """Index terms of `text`: multi-syllable words joined by "_", lowercased, no punctuation."""
    terms = []
    for token in segmenter.tokenize(normalize(text)).split():
        term = _EDGE_PUNCTUATION.sub("", token).lower()
        if term:
            terms.append(term)
    return terms


def folded_phrases(text: str) -> list[list[str]]:
    """The runs of syllables between punctuation, folded and lowercased."""
    return [phrase.split() for phrase in _PHRASE.findall(fold(normalize(text)).lower())]


def folded_terms(syllables: list[str]) -> list[str]:
    """The folded view of one run of syllables: each syllable, then each adjacent pair."""
    pairs = [f"{a}_{b}" for a, b in itertools.pairwise(syllables)]
    return [FOLDED + term for term in syllables + pairs]


def index_terms(text: str) -> list[str]:
    """Every term a sentence is indexed under; the index calls only this, so a new view of
    the text (another form of the same words) is added here and nowhere else."""
    terms = segment(text)
    for phrase in folded_phrases(text):
        terms.extend(folded_terms(phrase))
    return terms


__all__ = ["FOLDED", "folded_phrases", "folded_terms", "index_terms", "segment"]
