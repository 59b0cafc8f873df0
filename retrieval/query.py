"""From a question as typed to the index terms that retrieve its answer.

A question becomes a list of term groups, one per content word: the ids of every indexed
form of that word (its segmented term, the Arabic form of a Roman numeral, ...). A
sentence holds the word when it holds any form of it.
"""

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np

from retrieval.abbreviations import other_forms
from retrieval.accents import restore
from retrieval.index import Index
from retrieval.normalize import fold, has_diacritics
from retrieval.numbers import date_fillers, numeral_alternates, spelled_numbers
from retrieval.tokenizer import FOLDED, capitalised_pairs, folded_phrases, folded_terms, segment

# Question words say what kind of answer is wanted, but answers never contain them:
# as query terms they only pull in other questions and headlines.
QUESTION_WORDS = frozenset(
    """ai những_ai gì cái_gì nào bao_giờ khi_nào lúc_nào ngày_nào năm_nào tháng_nào bao_nhiêu mấy
    đâu ở_đâu tại_đâu như_thế_nào thế_nào ra_sao vì_sao tại_sao sao không có_phải là_gì
    hả vậy nhỉ nhé ạ""".split()
)

# Typed without diacritics, one-syllable question words are ambiguous ("dau" is đâu and
# đau, "may" is mấy and máy), so only the unambiguous ones are dropped there.
_FOLDED_QUESTION_WORDS = frozenset(
    fold(w).replace("_", " ") for w in QUESTION_WORDS if "_" in w or w in {"ai", "gì", "nào"}
)
_LONGEST_QUESTION_WORD = max(len(w.split()) for w in _FOLDED_QUESTION_WORDS)
_QUESTION_WORD_STARTS = frozenset(w.split()[0] for w in _FOLDED_QUESTION_WORDS)


@dataclass(frozen=True)
class Query:
    """`groups[i]` are the vocabulary ids of the i-th content word's forms; an empty group
    is a word the corpus never uses. `unknown_pairs`: the share of the question's adjacent
    content syllables ("tịch quốc" in "Chủ tịch Quốc hội") that the corpus never puts
    together; such pairs are left out of `groups`. `unknown_names`: how many of those join
    a capitalised syllable to the one before it, a name or title the corpus never writes
    ("Chủ tịch Quốc hội", "Thủ tướng Nhật Bản"). `missing_pairs`: the pairs never put together."""

    text: str
    words: tuple[str, ...]
    groups: tuple[tuple[int, ...], ...]
    unknown_pairs: float = 0.0
    unknown_names: int = 0
    missing_pairs: frozenset[str] = frozenset()

    @property
    def pairs(self) -> list[bool]:
        """Which groups are folded syllable pairs (word order) rather than words."""
        return [w.startswith(FOLDED) and "_" in w for w in self.words]

    @property
    def term_ids(self) -> list[int]:
        return [t for group in self.groups for t in group]


def content_terms(text: str) -> list[str]:
    """The segmented terms of `text` without question words, each once."""
    return list(dict.fromkeys(t for t in segment(text) if t not in QUESTION_WORDS))


def _without_question_words(syllables: list[str]) -> list[list[str]]:
    """`syllables` split into the runs left when question words are taken out."""
    runs: list[list[str]] = [[]]
    i = 0
    while i < len(syllables):
        if syllables[i] not in _QUESTION_WORD_STARTS:  # most syllables: nothing to join
            runs[-1].append(syllables[i])
            i += 1
            continue
        for n in range(_LONGEST_QUESTION_WORD, 0, -1):
            if " ".join(syllables[i : i + n]) in _FOLDED_QUESTION_WORDS:
                runs.append([])
                i += n
                break
        else:
            runs[-1].append(syllables[i])
            i += 1
    return [run for run in runs if run]


def folded_content_terms(text: str) -> list[str]:
    """The folded view of `text` without question words: syllables and syllable pairs."""
    terms = [
        term
        for phrase in folded_phrases(text)
        for run in _without_question_words(phrase)
        for term in folded_terms(run)
    ]
    return list(dict.fromkeys(terms))


def _numeral_forms(term: str, alternates: dict[str, str]) -> list[str]:
    """`term` with its numerals in their other spelling: "~hoi_xiv" -> ["~hoi_14"]."""
    if not alternates:  # most questions hold no numeral
        return []
    prefix = FOLDED if term.startswith(FOLDED) else ""
    parts = term.removeprefix(FOLDED).split("_")
    swapped = [alternates.get(part, part) for part in parts]
    return [prefix + "_".join(swapped)] if swapped != parts else []


def passage_terms(index: Index, passages: list[int]) -> set[int]:
    """The term ids the passages hold."""
    ptr = index.passage_sentence_ptr
    sentences = index.sentence_term_ptr
    return {
        int(t)
        for p in passages
        for t in index.sentence_term_ids[sentences[ptr[p]] : sentences[ptr[p + 1]]].tolist()
    }


def feedback_terms(index: Index, terms: list[int]) -> set[int]:
    """The term ids of the FEEDBACK_PASSAGES passages that `terms` retrieve."""
    passages, _ = index.bm25.top_k(terms, FEEDBACK_PASSAGES)
    return passage_terms(index, passages.tolist())


# "Thủ tướng tên là gì?" asks for a name: "Thủ tướng Phạm Minh Chính" answers it without the
# word "tên" (dropped only there: ViNewsQA dev lost 2 questions when "tên" was always dropped).
_ASKS_NAME = re.compile(r"\b(tên|ten)\s+((là|la)\s+)?(gì|gi)\b", re.IGNORECASE)


def parse_query(
    index: Index,
    text: str,
    feedback: Callable[[Index, list[int]], Collection[int]] = feedback_terms,
) -> Query:
    """The question's term groups. Typed without diacritics, the words are read as the
    corpus spells them (`retrieval.accents`), preferring the spellings of the passages the
    folded question retrieves (`feedback`: a sharded index asks its shards), and then
    parsed as if written so."""
    text = _ASKS_NAME.sub(r"\2\4", spelled_numbers(text))
    if has_diacritics(text):
        return _parse(index, text, text)
    folded = _parse(index, text, None)
    seen = feedback(index, search_terms(index, folded))
    return _parse(index, text, restore(index, text, seen))


def _parse(index: Index, text: str, written: str | None) -> Query:
    """`text`'s groups: the segmented words of `written` (the text with diacritics, None
    when it has none), then its folded syllables and pairs."""
    lookup = _lookup(index.vocab)
    # The folded view helps questions with diacritics too: syllable pairs match across
    # segmentation differences between the question and the sentence. A pair the corpus
    # never uses is only two words that happen to be adjacent in the question, unless a
    # numeral in it is spelt the other way in the corpus.
    alternates = numeral_alternates(text)
    every = folded_content_terms(text)
    folded = [
        t
        for t in every
        if "_" not in t
        or lookup(t) is not None
        or any(lookup(f) is not None for f in _numeral_forms(t, alternates))
    ]
    asked = sum("_" in t for t in every)
    unknown = (asked - sum("_" in t for t in folded)) / asked if asked else 0.0
    missing = frozenset(t for t in every if "_" in t) - set(folded)
    names = len(capitalised_pairs(text) & missing)
    fillers = date_fillers(text)
    segmented = content_terms(written) if written and has_diacritics(written) else []
    words = [w for w in segmented + folded if w not in fillers]
    abbreviated = other_forms(index, text, words)
    groups = tuple(_group(word, alternates, abbreviated, lookup) for word in words)
    return Query(text, tuple(words), groups, unknown, names, missing)


def _lookup(vocab: Mapping[str, int]) -> Callable[[str], int | None]:
    """The id of a term in `vocab`, None when it has none: one lookup where `in` and `[]`
    take two (a live index's vocabulary answers in Python)."""
    get_id = getattr(vocab, "get_id", None)
    return get_id if get_id is not None else vocab.get


def _group(
    word: str,
    alternates: dict[str, str],
    abbreviated: dict[str, list[str]],
    lookup: Callable[[str], int | None],
) -> tuple[int, ...]:
    """The ids of `word`'s indexed forms: itself, its numerals spelt the other way, the
    other form of its abbreviation; each once, in that order."""
    if not alternates and word not in abbreviated:  # most words: their one form
        term_id = lookup(word)
        return () if term_id is None else (term_id,)
    found: list[int] = []
    for form in (word, *_numeral_forms(word, alternates), *abbreviated.get(word, ())):
        term_id = lookup(form)
        if term_id is not None and term_id not in found:
            found.append(term_id)
    return tuple(found)


# Passage retrieval leaves out a term found in more than a fifth of the passages, once that
# is more than a few thousand: its postings are the longest, so it costs most of the search
# time and most of the index pages a question touches, while its idf is among the lowest.
# Measured on ViNewsQA dev with no floor (the 20 % cut alone): hit@1 61.6 -> 61.6, hit@3
# 77.5 -> 77.7, passage recall@1 65.3 -> 65.1; search p50 at 100k passages 2.05 -> 1.30 ms.
# The answerer still weighs every word of the question when it scores sentences.
COMMON_SHARE = 0.2
COMMON_MIN_PASSAGES = 5000
# A question made only of common words still searches by its rarest ones.
KEEP_RAREST = 3
# Passages whose words choose the reading of a question typed without diacritics.
FEEDBACK_PASSAGES = 3


def search_terms(index: Index, query: Query) -> list[int]:
    """The term ids of `query` that passage retrieval scores (see COMMON_SHARE)."""
    ids = query.term_ids
    ptr = index.bm25.term_ptr
    # One read of the offsets for all the terms: read one by one, they cost more than
    # the rest of this function.
    at = np.asarray(ids, dtype=np.int64)
    passages = dict(zip(ids, (ptr[at + 1] - ptr[at]).tolist(), strict=True))
    limit = max(COMMON_SHARE * index.n_passages, COMMON_MIN_PASSAGES)
    rarest = set(sorted(passages, key=passages.__getitem__)[:KEEP_RAREST])
    return [t for t in ids if passages[t] <= limit or t in rarest]


def query_terms(index: Index, text: str) -> list[int]:
    """The term ids passage retrieval scores for `text`."""
    return search_terms(index, parse_query(index, text))
