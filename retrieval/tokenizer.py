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
        # A token that starts and ends with a letter or digit (most) has no edge to cut:
        # `[\W_]` is exactly what `str.isalnum` refuses.
        edged = not (token[0].isalnum() and token[-1].isalnum())
        term = (_EDGE_PUNCTUATION.sub("", token) if edged else token).lower()
        if term:
            terms.append(term)
    return terms


def folded_phrases(text: str) -> list[list[str]]:
    """The runs of syllables between punctuation, folded and lowercased."""
    return [phrase.split() for phrase in _PHRASE.findall(fold(normalize(text)).lower())]


def capitalised_pairs(text: str) -> set[str]:
    """The folded syllable pairs of `text` inside a name or title: the second syllable is
    capitalised and the first belongs to a capitalised word ("tich_quoc" in "Chủ tịch Quốc
    hội", "nhat_ban" in "thăm Nhật Bản"). Not a pair that starts the text ("Ông Soo", "Bé
    Dũng": capitalised as the first word) nor one after a lowercase word ("cho Hassan").
    None when every syllable is capitalised (ALL CAPS, Title Case): that says nothing of
    names."""
    phrases = [phrase.split() for phrase in _PHRASE.findall(fold(normalize(text)))]
    if all(s[:1].isupper() for phrase in phrases for s in phrase):
        return set()
    found = set()
    for n, phrase in enumerate(phrases):
        upper = [s[:1].isupper() for s in phrase]
        for i in range(1 if n == 0 else 0, len(phrase) - 1):
            if upper[i + 1] and (upper[i] or (i > 0 and upper[i - 1])):
                found.add(FOLDED + f"{phrase[i]}_{phrase[i + 1]}".lower())
    return found


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


__all__ = [
    "FOLDED",
    "capitalised_pairs",
    "folded_phrases",
    "folded_terms",
    "index_terms",
    "segment",
]
