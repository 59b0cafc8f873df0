"""Choosing the k best of scored candidates, ties to the lower index."""

import numpy as np

_SAMPLE_STRIDE = 16


def best(candidates: np.ndarray, cand_scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best of ascending `candidates`, best first, ties to the lower index."""
    if len(candidates) > _SAMPLE_STRIDE * 2 * k:
        # The k-th best of every 16th score is at most the k-th best of all: everything
        # below it goes in one cheap pass, leaving about 16k scores to select from.
        sample = cand_scores[::_SAMPLE_STRIDE]
        floor = np.partition(sample, len(sample) - k)[len(sample) - k]
        keep = np.flatnonzero(cand_scores >= floor)
        candidates, cand_scores = candidates[keep], cand_scores[keep]
    if len(candidates) > k:
        kth = np.partition(cand_scores, len(cand_scores) - k)[len(cand_scores) - k]
        keep = np.flatnonzero(cand_scores >= kth)
        if len(keep) > k:
            # Ties at the k-th score: argpartition would pick any of them, but the lowest
            # indices must win, and candidates are ascending.
            above = keep[cand_scores[keep] > kth]
            keep = np.concatenate((above, keep[cand_scores[keep] == kth][: k - len(above)]))
        candidates, cand_scores = candidates[keep], cand_scores[keep]
    order = np.lexsort((candidates, -cand_scores))
    return candidates[order], cand_scores[order]
