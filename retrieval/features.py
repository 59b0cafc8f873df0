"""The features every candidate sentence is scored on, their fitted weights, and the
scaling and question weights that depend on all candidates or the corpus's statistics
(apart from `retrieval.answerer` so that a sharded index computes them the same way)."""

import numpy as np

from retrieval.query import Query

FEATURES = (
    "word_coverage",  # share of the question's word weight in the sentence
    "pair_coverage",  # share of its syllable-pair weight: words in the question's order
    "passage",  # the passage's BM25 score, min-max scaled over the candidates
    "document",  # BM25 of the whole document, scaled by the best candidate document's
    "context_gain",  # coverage the previous sentence adds (the sentence leans on it)
    "next",  # coverage of the next sentence alone
    "kind",  # holds the kind of answer the question word asks for
    "echo",  # share of the sentence's own terms that are the question's
    "lead",  # first sentence of its document: a headline
    "local_coverage",  # word_coverage with the words weighed by their idf within the document
    # Share of the sentence's own idf weight that is the question's: with "echo", whether
    # the sentence adds rare words of its own or only the question's.
    "echo_weight",
)
WEIGHTS = np.array([1.0, 0.286, 0.220, 1.387, 1.220, 0.154, 0.352, 1.328, 0.021, 0.660, -1.254])
# The sentence is quoted with its predecessor as context when that one holds this much
# more of the question.
CONTEXT_GAIN = 0.2
COLUMN_DOCUMENT = FEATURES.index("document")
COLUMN_CONTEXT_GAIN = FEATURES.index("context_gain")
COLUMN_KIND = FEATURES.index("kind")
COLUMN_ECHO_WEIGHT = FEATURES.index("echo_weight")


def support(features: np.ndarray) -> float:
    """How much of the question's word weight the best candidate holds together with the
    sentence before it (quoted as its context); -1 without candidates."""
    if not len(features):
        return -1.0
    return float((features[:, 0] + features[:, FEATURES.index("context_gain")]).max())


def term_weights(
    query: Query, idf: np.ndarray, unknown_weight: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each group's weight as a share of all word groups' (resp. all pair groups'). A
    function of the corpus's idf, so a sharded index weighs with its global statistics."""
    weights = np.array(
        [max(float(idf[t]) for t in group) if group else unknown_weight for group in query.groups]
    )
    # In a corpus of a few passages every idf can be zero or negative; every word of the
    # question then weighs alike.
    weights = np.maximum(weights, 1e-3)
    pairs = np.array(query.pairs, dtype=bool)
    words = np.where(pairs, 0.0, weights)
    pair_weights = np.where(pairs, weights, 0.0)
    return words / max(float(words.sum()), 1e-9), pair_weights / max(
        float(pair_weights.sum()), 1e-9
    )


def scaled(features: np.ndarray) -> np.ndarray:
    """`features` with the two columns that compare candidates with each other scaled over
    all of them: the passage's BM25 min-max (scores of tiny corpora can be zero or
    negative), the document's BM25 divided by the best. Apart, so that a sharded index
    scales the candidates of every shard together."""
    features = features.copy()
    for column, low_at_min in ((FEATURES.index("passage"), True), (COLUMN_DOCUMENT, False)):
        values = features[:, column]
        if not len(values):
            continue
        low = float(values.min()) if low_at_min else 0.0
        spread = float(values.max()) - low
        features[:, column] = (values - low) / spread if spread > 0 else 1.0
    return features
