"""pyvi's word segmenter without scikit-learn: its CRF model run by python-crfsuite directly.

`from pyvi import ViTokenizer` unpickles an sklearn-crfsuite estimator, which imports
scikit-learn (about 2 s of every start on the test machine) and writes the model to a
temporary file (so a full /tmp broke every command). The estimator's pickle holds the
CRFsuite model itself; here it is unpickled into plain holders and opened in memory by
`pycrfsuite.Tagger`, the same tagger sklearn-crfsuite calls. The syllable pattern is pyvi
0.1.1's, copied below, and the features its `word2features`, handed to the tagger in a
faster form (`_items`), so the output is pyvi's token for token: `bench/segmenter.py`
compares the two on the seeds and the whole ViNewsQA dev set, `tests/test_segmenter.py`
on a sample (and the tagger's scores, for the features).
"""

import functools
import importlib.util
import itertools
import pickle
import re
import string
import threading
import unicodedata
from pathlib import Path
from typing import Any

import pycrfsuite

# pyvi's syllable pattern (ViTokenizer.sylabelize), in the same order.
_SYLLABLE = re.compile(
    "("
    + "|".join(
        [
            r"[A-ZĐ]+\.",
            r"Tp\.",
            r"Mr\.",
            r"Mrs\.",
            r"Ms\.",
            r"Dr\.",
            r"ThS\.",
            "==>",
            "->",
            r"\.\.\.",
            ">>",
            "\n",
            r"\w+://[^\s]+",
            r"([a-zA-Z0-9_.+-]+@([a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+)",
            r"\d+([\.,_]\d+)+",
            r"[^\w\s]",
            r"\w+",
        ]
    )
    + ")",
    re.UNICODE,
)


class _Holder:
    """Takes the place of a pickled class: keeps its state (a dict) as attributes."""

    def __init__(self, *args: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict):
            self.__dict__.update(state)


def _unused(*args: Any) -> None:
    """Stands in for numpy scalars (the training parameters): not needed to tag."""


# The globals pyvi's pickle names, and what stands in for them; anything else is refused.
_STAND_INS = {
    ("sklearn_crfsuite.estimator", "CRF"): _Holder,
    ("sklearn_crfsuite._fileresource", "FileResource"): _Holder,
    ("pycrfsuite._logparser", "TrainLogParser"): _Holder,
    ("numpy", "dtype"): _Holder,
    ("numpy.core.multiarray", "scalar"): _unused,
}


class _ModelUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _STAND_INS:
            return _STAND_INS[module, name]
        if (module, name) == ("_codecs", "encode"):  # the model's bytes
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected {module}.{name} in pyvi's model")


class _Model:
    """pyvi's CRF tagger and its word lists, loaded on first use (not at import)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tagger: Any = None
        self._data = b""
        self.bi_grams: set[str] = set()
        self.tri_grams: set[str] = set()

    def tagger(self) -> Any:
        if self._tagger is None:
            with self._lock:
                if self._tagger is None:
                    self._load()
        return self._tagger

    def _load(self) -> None:
        spec = importlib.util.find_spec("pyvi")
        if spec is None or spec.origin is None:
            raise ImportError("pyvi is not installed")
        models = Path(spec.origin).parent / "models"
        for entry in (models / "words.txt").read_text(encoding="utf-8").split("\n"):
            n = len(entry.split(" "))
            if n == 2:
                self.bi_grams.add(entry)
            elif n == 3:
                self.tri_grams.add(entry)
        with open(models / "pyvi3.pkl", "rb") as f:
            estimator = _ModelUnpickler(f).load()
        # CRFsuite reads the model from these bytes as long as the tagger lives.
        self._data = estimator.modelfile.__FILE_RESOURCE_DATA__
        tagger = pycrfsuite.Tagger()
        tagger.open_inmemory(self._data)
        self._tagger = tagger


_MODEL = _Model()


@functools.lru_cache(maxsize=16384)
def _own(word: str) -> tuple[list[str], list[str], list[str]]:
    """`word`'s attributes as the syllable itself, as the one before and as the one after,
    in the order of pyvi's `word2features`: a syllable recurs across questions and sentences."""
    lower, upper, title = word.lower(), word.isupper(), word.istitle()
    own = ["bias", "word.lower():" + lower]
    own += ["word.isupper()"] * upper + ["word.istitle()"] * title
    own += ["word.isdigit()"] * word.isdigit()
    before = ["-1:word.lower():" + lower]
    before += ["-1:word.istitle()"] * title + ["-1:word.isupper()"] * upper
    after = ["+1:word.lower():" + lower]
    after += ["+1:word.istitle()"] * title + ["+1:word.isupper()"] * upper
    return own, before, after


def _items(syllables: list[str]) -> list[list[str]]:
    """pyvi's `word2features` of every syllable, as CRFsuite reads its dicts: a string
    value is the attribute "name:value" of weight 1, a number (bool) the attribute "name"
    of that weight. Attributes of weight 0 (False) add nothing to a label's score, so they
    are left out; the others keep pyvi's order, so the scores are the same sums (tested).
    Handing the tagger dicts took three times as long: converting them was most of pyvi's
    time."""
    bi_grams, tri_grams = _MODEL.bi_grams, _MODEL.tri_grams
    own = [_own(word) for word in syllables]
    # Whether each adjacent pair and triple is a known word, each asked once (pyvi asks
    # from both ends), with pyvi's own spelling of the question.
    pairs = [" ".join(s).lower() in bi_grams for s in itertools.pairwise(syllables)]
    triples = [
        " ".join(s).lower() in tri_grams
        for s in zip(syllables, syllables[1:], syllables[2:], strict=False)
    ]
    last = len(syllables) - 1
    items = []
    for i in range(last + 1):
        item = list(own[i][0])
        if i > 0:
            item += own[i - 1][1]
            if pairs[i - 1]:
                item.append("-1:word.bi_gram()")
            if i > 1 and triples[i - 2]:
                item.append("-2:word.tri_gram()")
        if i < last:
            item += own[i + 1][2]
            if pairs[i]:
                item.append("+1:word.bi_gram()")
            if i < last - 1 and triples[i]:
                item.append("+2:word.tri_gram()")
        items.append(item)
    return items


def tokenize(text: str) -> str:
    """What pyvi's `ViTokenizer.tokenize(text)` returns: syllables of one word joined by
    "_", words separated by spaces."""
    syllables = [match[0] for match in _SYLLABLE.findall(unicodedata.normalize("NFC", text))]
    if not syllables:
        return text
    tagger = _MODEL.tagger()
    labels = tagger.tag(_items(syllables))
    output = syllables[0]
    for i in range(1, len(labels)):
        this, before = syllables[i], syllables[i - 1]
        if (
            labels[i] == "I_W"
            and this not in string.punctuation
            and before not in string.punctuation
            and not this[0].isdigit()
            and not before[0].isdigit()
            and not (this[0].istitle() and not before[0].istitle())
        ):
            output += "_" + this
        else:
            output += " " + this
    return output
