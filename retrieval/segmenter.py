"""pyvi's word segmenter without scikit-learn: its CRF model run by python-crfsuite directly.

`from pyvi import ViTokenizer` unpickles an sklearn-crfsuite estimator, which imports
scikit-learn (about 2 s of every start on the test machine) and writes the model to a
temporary file (so a full /tmp broke every command). The estimator's pickle holds the
CRFsuite model itself; here it is unpickled into plain holders and opened in memory by
`pycrfsuite.Tagger`, the same tagger sklearn-crfsuite calls. Syllables and features are
pyvi 0.1.1's, copied below, so the output is pyvi's token for token: `bench/segmenter.py`
compares the two on the seeds and the whole ViNewsQA dev set, `tests/test_segmenter.py`
on a sample.
"""

import importlib.util
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


def _features(syllables: list[str], i: int) -> dict[str, Any]:
    """pyvi's ViTokenizer.word2features."""
    word = syllables[i]
    features: dict[str, Any] = {
        "bias": 1.0,
        "word.lower()": word.lower(),
        "word.isupper()": word.isupper(),
        "word.istitle()": word.istitle(),
        "word.isdigit()": word.isdigit(),
    }
    if i > 0:
        word1 = syllables[i - 1]
        features.update(
            {
                "-1:word.lower()": word1.lower(),
                "-1:word.istitle()": word1.istitle(),
                "-1:word.isupper()": word1.isupper(),
                "-1:word.bi_gram()": " ".join([word1, word]).lower() in _MODEL.bi_grams,
            }
        )
        if i > 1:
            word2 = syllables[i - 2]
            trigram = " ".join([word2, word1, word]).lower()
            features["-2:word.tri_gram()"] = trigram in _MODEL.tri_grams
    if i < len(syllables) - 1:
        word1 = syllables[i + 1]
        features.update(
            {
                "+1:word.lower()": word1.lower(),
                "+1:word.istitle()": word1.istitle(),
                "+1:word.isupper()": word1.isupper(),
                "+1:word.bi_gram()": " ".join([word, word1]).lower() in _MODEL.bi_grams,
            }
        )
        if i < len(syllables) - 2:
            word2 = syllables[i + 2]
            trigram = " ".join([word, word1, word2]).lower()
            features["+2:word.tri_gram()"] = trigram in _MODEL.tri_grams
    return features


def tokenize(text: str) -> str:
    """What pyvi's `ViTokenizer.tokenize(text)` returns: syllables of one word joined by
    "_", words separated by spaces."""
    syllables = [match[0] for match in _SYLLABLE.findall(unicodedata.normalize("NFC", text))]
    if not syllables:
        return text
    tagger = _MODEL.tagger()
    labels = tagger.tag([_features(syllables, i) for i in range(len(syllables))])
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
