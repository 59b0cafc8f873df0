"""Whether the documents hold an answer to a question, or the answerer should abstain.

Two signals of the question's candidates decide:

- `support`: the best candidate sentence's share, with the sentence before it (quoted as
  its context), of the question's idf word weight;
- `known words`: how many of the question's words the corpus uses at all (segmented
  words and folded syllables, not syllable pairs; with diacritics a word counts once as a
  word and once per syllable, without them once per syllable).

- `unknown pairs`: the share of the question's adjacent content syllables that the corpus
  never puts together. "Chủ tịch Quốc hội là ai?" asked of articles that name the "Chủ
  tịch nước" and the "Quốc hội" finds every word, but never "tịch quốc": the documents
  do not mention the Chủ tịch Quốc hội. Names of people, countries and things the corpus
  never mentions ("Thủ tướng Nhật Bản", "Antonio Guterres") are such pairs.

The question is answered when
support >= BASE - SLOPE * ln(1 + known words) + UNKNOWN * unknown pairs. A question
with few known words is covered by chance: "Giá vàng hôm nay bao nhiêu?" asked of health
news finds "giá", "hôm nay" in some sentence, a share that would answer a longer question
whose many words all come together in one sentence. A question the corpus barely knows
(English, French, gibberish, other topics' names) has few known words as well.

BASE and SLOPE are a logistic regression on (support, ln(1 + known words)) fitted by
`bench/calibrate_abstention.py`: answerable = the 2,497 UIT-ViNewsQA dev questions as
written and typed without diacritics over the ViNewsQA corpus; out of scope = the 100
questions of tests/data/out_of_scope_questions.txt over that corpus and over the seed
articles; the offset is the one whose 5-fold cross-validated rates are furthest above
answered >= 95 % and abstained >= 90 %. UNKNOWN was then swept with them fixed (ViNewsQA
answered written / folded; out of scope abstained, fitting set / held-out set, chit-chat
replied to): 0: 97.6 / 97.9 %, 92.5 / 93.5 %; 0.05: 97.1 / 97.4 %, 93.5 / 94.0 %; 0.1:
96.5 / 96.6 %, 94.5 / 95.5 %. 0.05 is the largest that keeps 97 % of the answerable
questions answered. A logistic regression on all three signals at 97.5 % answered did no
better on the held-out questions (93.5 %). tests/data/out_of_scope_held_out.txt, written
separately, was used only to report.
"""

import math

from retrieval.query import Query

BASE = 1.008
SLOPE = 0.196
UNKNOWN = 0.05


def known_words(query: Query) -> int:
    """How many of the question's words (not syllable pairs) the corpus uses."""
    return sum(
        bool(group) for group, pair in zip(query.groups, query.pairs, strict=True) if not pair
    )


def required_support(known: int, unknown_pairs: float = 0.0) -> float:
    """The least support that answers a question with `known` known words and a share
    `unknown_pairs` of word pairs the corpus never uses."""
    return BASE - SLOPE * math.log1p(known) + UNKNOWN * unknown_pairs


def abstains(support: float, known: int, unknown_pairs: float = 0.0) -> bool:
    """True when the best candidate covers too little of the question to quote it."""
    return support < required_support(known, unknown_pairs)
