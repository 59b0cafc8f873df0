"""Names and titles in a question typed without capitals, read as the documents write them.

`retrieval.tokenizer.capitalised_pairs` finds the names and titles of a question by its
capitals ("tịch Quốc" in "Chủ tịch Quốc hội"), and a question typed all in lowercase
("chu tich quoc hoi la ai"), with only its first letter capitalised, or in ALL CAPS has
none to tell. Such a question is given the
capitals the documents give its words: each syllable capitalised as the candidate
sentences write it most often away from the start of a sentence, counting only the
occurrences inside the longest stretch of the question they hold around it ("Nguyễn Hòa
Bình", not "hòa bình" = peace). Read so, a lowercase syllable continues the capitalised
one before it only where the documents write the two together ("Chủ tịch"), not across
two words ("Singapore mà Phó thủ tướng").

A capitalised word the documents never use at all ("ASEAN", "Antonio Guterres") is a name
they never mention too (`unknown_name_runs`); a question without telling capitals has
none, as the documents give such a word no capital.
"""

import itertools
import re
from collections.abc import Collection, Iterable

from retrieval.accents import FOLD_TABLE
from retrieval.normalize import fold, normalize
from retrieval.tokenizer import FOLDED, folded_phrases

_SYLLABLE = re.compile(r"[^\W_]+")
# Syllable pairs never reach across punctuation: "Hà Nội, Huế" holds no "nội huế".
_PHRASE = re.compile(r"[^\W_]+(?:\s+[^\W_]+)*")
# A capital after one of these (or at the start) is the sentence's, not a name's.
_SENTENCE_BREAK = re.compile(r"[.!?:;\"“”'‘(–\-•*\[]")


def capitals_say_nothing(text: str) -> bool:
    """True when no syllable of `text` but the first is capitalised (that one is the
    sentence's), or every one is (ALL CAPS, Title Case)."""
    capitals = [s[:1].isupper() for s in _SYLLABLE.findall(text) if not s[:1].isdigit()]
    return not any(capitals[1:]) or all(capitals)


def recased(question: str, texts: Iterable[str]) -> str:
    """`question` lowercased, then each syllable capitalised as `texts` write it most often
    away from the start of a sentence, within the longest stretch of the question they
    hold around it. A syllable the texts never hold stays lowercase."""
    question = normalize(question).lower()
    matches = list(_SYLLABLE.finditer(question))
    keys = [fold(m[0]) for m in matches]
    at: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        at.setdefault(key, []).append(i)
    # Per question syllable: the longest stretch seen, and [capitalised, lowercase] there.
    longest = [0] * len(keys)
    counts = [[0, 0] for _ in keys]
    for text in texts:
        for sentence in _SENTENCE_BREAK.split(normalize(text)):
            written = _SYLLABLE.findall(sentence)
            found = " ".join(written).translate(FOLD_TABLE).lower().split(" ")
            # The first syllable's capital is the sentence's.
            for j in range(1, len(written)):
                for i in at.get(found[j], ()):
                    left = 0
                    while left < min(i, j) and found[j - left - 1] == keys[i - left - 1]:
                        left += 1
                    right = 0
                    while (
                        i + right + 1 < len(keys)
                        and j + right + 1 < len(found)
                        and found[j + right + 1] == keys[i + right + 1]
                    ):
                        right += 1
                    if left + right + 1 > longest[i]:
                        longest[i], counts[i] = left + right + 1, [0, 0]
                    if left + right + 1 == longest[i]:
                        counts[i][not written[j][:1].isupper()] += 1
    out = list(question)
    for match, (upper, lower) in zip(matches, counts, strict=True):
        if upper > lower:
            out[match.start()] = out[match.start()].upper()
    return "".join(out)


def name_runs(text: str, known: Collection[str]) -> list[tuple[str, ...]]:
    """The names and titles of `text` (capitalised by `recased`), each its folded lowercase
    syllables: runs of syllables whose each next one is capitalised and follows one that is
    too or is written together with the capitalised one before it (a `known` pair: "Chủ
    tịch"). Not a run's pair that starts the text. "Bộ trưởng Bộ Công an là ai?" holds
    ("truong", "bo", "cong")."""
    runs: list[tuple[str, ...]] = []
    for n, phrase in enumerate(_PHRASE.findall(fold(normalize(text)))):
        syllables = phrase.split()
        upper = [s[:1].isupper() for s in syllables]
        lower = [s.lower() for s in syllables]
        run: list[str] = []
        for i in range(1 if n == 0 else 0, len(syllables) - 1):
            joined = i > 0 and upper[i - 1] and f"{FOLDED}{lower[i - 1]}_{lower[i]}" in known
            if upper[i + 1] and (upper[i] or joined):
                run = [*run, lower[i + 1]] if run else [lower[i], lower[i + 1]]
                continue
            if run:
                runs.append(tuple(run))
            run = []
        if run:
            runs.append(tuple(run))
    return runs


def name_pairs(text: str, known: Collection[str]) -> set[str]:
    """The folded syllable pairs of `text` (capitalised by `recased`) inside a name or
    title (`name_runs`)."""
    return {
        f"{FOLDED}{a}_{b}" for run in name_runs(text, known) for a, b in itertools.pairwise(run)
    }


def runs_absent(runs: Iterable[tuple[str, ...]], texts: Iterable[str]) -> int:
    """How many of `runs` (`name_runs`) none of `texts` writes, syllable after syllable
    within one phrase."""
    runs = list(runs)
    if not runs:
        return 0
    # Phrases apart ("|"): a run never reaches across punctuation.
    held = " | ".join(" ".join(phrase) for text in texts for phrase in folded_phrases(text))
    return sum(f" {' '.join(run)} " not in f" {held} " for run in runs)


def unknown_name_runs(text: str, unknown: Collection[str]) -> int:
    """How many runs of capitalised syllables of `text` hold one the corpus never uses
    (`unknown`, folded lowercase): a name the documents never mention ("ASEAN", "Antonio
    Guterres"). Not the first syllable of the text (its capital is the sentence's); none
    when the capitals say nothing."""
    if not unknown or capitals_say_nothing(text):
        return 0
    runs = 0
    for n, phrase in enumerate(_PHRASE.findall(fold(normalize(text)))):
        inside = held = False
        for i, syllable in enumerate([*phrase.split(), ""]):
            if syllable[:1].isupper() and (n or i):
                inside, held = True, held or syllable.lower() in unknown
                continue
            runs += inside and held
            inside = held = False
    return runs


__all__ = [
    "capitals_say_nothing",
    "name_pairs",
    "name_runs",
    "recased",
    "runs_absent",
    "unknown_name_runs",
]
