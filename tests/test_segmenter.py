"""The segmenter runs pyvi's CRF model without scikit-learn; its output must be pyvi's,
token for token. `bench/segmenter.py` checks the seeds and the whole ViNewsQA dev set;
this checks a sample: every seed line, the seed questions, and awkward strings."""

import json
import subprocess
import sys
from pathlib import Path

from pyvi import ViTokenizer

from retrieval import segmenter

ROOT = Path(__file__).resolve().parent.parent
AWKWARD = [
    "",
    "   ",
    "...",
    "==> Xem thêm >> tại https://vnexpress.net/a-b.html hoặc email ban.doc@vnexpress.net",
    "Giá 1.234,56 đồng; Tp. Hồ Chí Minh, TS. Nguyễn Văn A, Mr. Smith và ThS. Lê B.",
    "ĐẠI HỘI XIV CỦA ĐẢNG",
    "ngày 31/12/2025, lúc 9h30",
    "hoa\u0300 khoa\u0301",  # decomposed marks: pyvi normalises to NFC first
    "Tab\tvà\ndòng mới",
    "emoji 😀 và ký hiệu ©",
]


def _sample() -> list[str]:
    lines = [
        line
        for seed in sorted((ROOT / "seeds").glob("*.txt"))
        for line in seed.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    questions = json.loads((ROOT / "tests" / "data" / "seed_questions.json").read_text("utf-8"))
    lines += [q["question"] for q in questions["answerable"]] + questions["unanswerable"]
    return lines + AWKWARD


def test_output_is_pyvis_token_for_token() -> None:
    sample = _sample()
    assert len(sample) > 100
    for text in sample:
        assert segmenter.tokenize(text) == ViTokenizer.tokenize(text), text


def test_features_give_the_tagger_pyvis_scores() -> None:
    # Not only the same labels: the same probability of the labelling and the same
    # marginal of every label at every syllable, to the bit.
    tagger = segmenter._MODEL.tagger()
    for text in _sample():
        syllables = ViTokenizer.ViTokenizer.sylabelize(text)[1]
        if not syllables:
            continue
        theirs = ViTokenizer.ViTokenizer.sent2features(syllables, False)
        scored = []
        for features in (theirs, segmenter._items(syllables)):
            labels = tagger.tag(features)
            marginals = [
                tagger.marginal(label, i) for i in range(len(syllables)) for label in ("B_W", "I_W")
            ]
            scored.append((labels, tagger.probability(labels), marginals))
        assert scored[0] == scored[1], text


def test_segmenting_does_not_import_scikit_learn() -> None:
    code = (
        "import sys; from retrieval.tokenizer import index_terms; index_terms('Hà Nội'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sklearn', 'sklearn_crfsuite', 'pyvi', 'telegram')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"
