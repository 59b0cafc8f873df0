"""In what order the candidate sentences are cited, once they are scored.

- A first sentence that restates the question (a caption, a headline: RESTATES_SHARE or
  more of its idf weight is the question's) and lacks the kind of answer asked for (a
  place for "ở đâu", people for "ai" ...) gives way to the best sentence of its article
  that offers one, if that scores at most RESTATES_MARGIN less. Measured on ViNewsQA dev
  (hit@1 written / without diacritics): unchanged for shares 0.6-0.7 and margins 0.3-1.0
  (63.24 / 62.31), lower from share 0.5 (63.08 / 62.11 at 1.0); without the restating
  condition, lower from margin 0.2 (63.16; 1.0: 60.83).
- Once a cited sentence offers that kind of answer, a later one that restates the question
  without it is padding ("Toàn cảnh Hội nghị ..." after the place was cited). ViNewsQA dev
  unchanged (hit@3 78.85 / 78.05, 2.91 sentences an answer); leaving out every later
  sentence that does not offer the kind cost 0.9 points of hit@3.
"""

from collections.abc import Callable

import numpy as np

RESTATES_SHARE = 0.6
RESTATES_MARGIN = 1.0


def cited_order(
    sentences: np.ndarray,
    scores: np.ndarray,
    offers: np.ndarray,
    restates: np.ndarray,
    document: Callable[[int], str],
) -> list[int]:
    """Candidate rows best first (ties to the lower sentence id); a first sentence that
    restates the question (`restates`: its echo weight) without the kind of answer asked
    for (`offers`) after the best sentence of its article (`document(row)`) that has one."""
    order = np.lexsort((sentences, -scores)).tolist()
    first = order[0]
    if not restates_only(offers[first], restates[first]):
        return order
    article = document(first)
    for i in order[1:]:
        if scores[i] < scores[first] - RESTATES_MARGIN:
            break
        if offers[i] and document(i) == article:
            order.remove(i)
            return [i, *order]
    return order


def restates_only(offers: bool, restates: float) -> bool:
    """A sentence that restates the question (`restates`: its echo weight) without the kind
    of answer asked for (`offers`)."""
    return not offers and restates >= RESTATES_SHARE


__all__ = ["cited_order", "restates_only"]
