"""Whether the documents hold an answer to a question, or the answerer should abstain.

Two signals of the question's candidates decide:

- `support`: the best candidate sentence's share, with the sentence before it (quoted as
  its context), of the question's idf word weight;
- `known words`: how many of the question's words the corpus uses at all (segmented
  words and folded syllables, not syllable pairs; with diacritics a word counts once as a
  word and once per syllable, without them once per syllable).

The question is answered when support >= BASE - SLOPE * ln(1 + known words). A question
with few known words is covered by chance: "Giá vàng hôm nay bao nhiêu?" asked of health
news finds "giá", "hôm nay" in some sentence, a share that would answer a longer question
whose many words all come together in one sentence. A question the corpus barely knows
(English, French, gibberish, other topics' names) has few known words as well.

The boundary is a logistic regression on (support, ln(1 + known words)) fitted by
`bench/calibrate_abstention.py`: answerable = the 2,497 UIT-ViNewsQA dev questions as
written and typed without diacritics over the ViNewsQA corpus; out of scope = the 100
questions of tests/data/out_of_scope_questions.txt over that corpus and over the seed
articles. The offset is the one whose 5-fold cross-validated rates (answerable questions
grouped by document, out-of-scope ones by question) are furthest above both targets
(answered >= 95 % written and folded, out of scope abstained >= 90 %).
tests/data/out_of_scope_held_out.txt, written separately, was used only to report.
"""

import math

from retrieval.query import Query

BASE = 1.008
SLOPE = 0.196


def known_words(query: Query) -> int:
    """How many of the question's words (not syllable pairs) the corpus uses."""
    return sum(
        bool(group) for group, pair in zip(query.groups, query.pairs, strict=True) if not pair
    )


def required_support(known: int) -> float:
    """The least support that answers a question with `known` known words."""
    return BASE - SLOPE * math.log1p(known)


def abstains(support: float, known: int) -> bool:
    """True when the best candidate covers too little of the question to quote it."""
    return support < required_support(known)
