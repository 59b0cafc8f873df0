"""Fit the answerer's abstention boundary (`retrieval/abstention.py`) on data.

Answerable: the questions of a SQuAD-format file, as written and typed without
diacritics, over the corpus of its contexts. Out of scope: tests/data/out_of_scope_questions.txt
(weather, prices, sport, recipes, celebrities, officials and places the corpora never name,
English, gibberish ...), asked over the same corpus and over the bundled seed articles,
and the questions of tests/data/seed_questions_15.json that name what the seeds never
mention. Each question gets its signals: the best candidate's `support`, its known words,
its share of unknown pairs, its unknown pairs inside names, its names holding a word the
corpus never uses, the first cited sentence's margin over the best sentence of another
document, its titles no candidate writes whole and its names the cited article never
writes; and whether the first cited sentence (or one of three) holds a gold answer.

A logistic regression's SLOPE of (support, ln(1 + known words)) is printed. SLOPE, UNKNOWN,
NAMES, RUNS, MARGIN, TITLES and ABSENT are searched on a grid; for each, BASE is the one
that answers TARGET % of the answerable questions (written and folded alike). Chosen: the
setting that abstains on the most out-of-scope questions (the fitting file over both
corpora and the seed-name questions), then has the best hit@1, among those that keep hit@1
and hit@3, written and folded, at least at BEFORE. How well that choice generalises is
estimated by 5-fold cross-validation over the out-of-scope questions; the two held-out
files (tests/data/out_of_scope_held_out.txt, tests/data/out_of_scope_fresh.txt) are only
reported, and a split check refits BASE on half the documents' questions and measures the
other half, against an earlier rule.

    .venv/bin/python bench/calibrate_abstention.py ../shared/benchmarks/vinewsqa-dev.json
"""

import functools
import itertools
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from retrieval import abstention
from retrieval.abstention import (
    RECASING_SENTENCES,
    absent_names,
    known_words,
    unknown_names,
    unknown_runs,
    unseen_titles,
)
from retrieval.answerer import Answerer
from retrieval.chitchat import chitchat_reply
from retrieval.citing import ranked
from retrieval.engine import Engine
from retrieval.evaluate import squad_corpus
from retrieval.features import support
from retrieval.normalize import fold

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
TARGET = 97.5
# ViNewsQA dev hit@1 / hit@3 (written, then folded) with the rule before this fit: a setting
# must keep all four at least (as reported, to 2 decimals).
BEFORE = (63.32, 78.85, 62.52, 78.05)
# SLOPE was 0.196 (a logistic regression's) until the fitting file grew to 235 questions;
# on the grid the choice is 0.3, cross-validated 94.0 % against 93.0 % with SLOPE at 0.196.
GRID = {
    "slope": (0.196, 0.3, 0.4),
    "unknown": (0.0, 0.1, 0.15, 0.2, 0.25, 0.3),
    "names": (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7),
    "runs": (0.0, 0.05, 0.1, 0.15, 0.2, 0.3),
    "margin": (0.0, 0.1, 0.15, 0.2, 0.25, 0.3),
    "titles": (0.0, 0.3, 0.5, 0.7),
    "absent": (0.0, 0.05, 0.1, 0.2),
}
# The rule before issue 15's second session (UNKNOWN 0.05, nothing else), for the split
# check: BASE, then the GRID's terms.
EARLIER = (1.008, 0.196, 0.05, 0.0, 0.0, 0.0, 0.0, 0.0)
# Columns of a signal row.
SUPPORT, KNOWN, UNKNOWN, NAMES, RUNS, MARGIN, TITLES, ABSENT, HIT1, HIT3 = range(10)


def signals(answerer: Answerer, asked: list[tuple[str, tuple[str, ...]]]) -> np.ndarray:
    """One row per question (columns above); NaN support for a question that is never
    answered whatever the boundary (chit-chat, no known word, no candidate)."""
    index = answerer.index
    rows = []
    for question, answers in asked:
        query, sentences, features = answerer.candidates(question)
        if chitchat_reply(question) is not None or not query.groups or not len(sentences):
            rows.append((math.nan, 0, 0, 0, 0, 0, 0, 0, 0, 0))
            continue
        docs = index.sentence_doc[sentences].tolist()
        _, order, margin = ranked(sentences, features, answerer.weights, docs.__getitem__)
        texts = list(dict.fromkeys(index.sentence_text(int(sentences[i])) for i in order))[:3]
        top = [int(sentences[i]) for i in order[:RECASING_SENTENCES]]
        candidates = functools.partial(map, index.sentence_text, top)
        same = [int(sentences[i]) for i in order if docs[i] == docs[order[0]]]
        article = functools.partial(map, index.sentence_text, same)
        hits = [any(a.casefold() in t.casefold() for a in answers) for t in texts]
        rows.append(
            (
                support(features),
                known_words(query),
                query.unknown_pairs,
                unknown_names(query, candidates),
                unknown_runs(query),
                min(margin, abstention.MARGIN_CAP),
                unseen_titles(query, candidates),
                absent_names(query, candidates, article),
                hits[:1] == [True],
                any(hits),
            )
        )
    return np.array(rows, dtype=float)


def lines(name: str) -> list[str]:
    return [q for q in (DATA / name).read_text(encoding="utf-8").splitlines() if q.strip()]


def slack(
    rows: np.ndarray,
    slope: float,
    unknown: float,
    names: float,
    runs: float,
    margin: float,
    titles: float,
    absent: float,
) -> np.ndarray:
    """support + SLOPE ln(1 + known) - the other terms: answered when >= BASE."""
    value = (
        rows[:, SUPPORT]
        + slope * np.log1p(rows[:, KNOWN])
        - unknown * rows[:, UNKNOWN]
        - names * rows[:, NAMES]
        - runs * rows[:, RUNS]
        + margin * rows[:, MARGIN]
        - titles * rows[:, TITLES]
        - absent * rows[:, ABSENT]
    )
    return np.where(np.isnan(value), -np.inf, value)


def base_for(written: np.ndarray, folded: np.ndarray, setting: tuple[float, ...]) -> float:
    """The largest BASE that answers at least TARGET % of both."""
    return min(
        float(np.sort(s)[int(len(s) * (1 - TARGET / 100))])
        for s in (slack(written, *setting), slack(folded, *setting))
    )


def measure(rows: np.ndarray, base: float, setting: tuple[float, ...]) -> tuple[float, ...]:
    """hit@1, hit@3, answered in % of `rows`."""
    answered = slack(rows, *setting) >= base
    return tuple(
        100 * float(x.mean())
        for x in (answered & (rows[:, HIT1] > 0), answered & (rows[:, HIT3] > 0), answered)
    )


def abstained(rows: np.ndarray, base: float, setting: tuple[float, ...]) -> float:
    return 100 * float((slack(rows, *setting) < base).mean())


def keeps(result: tuple) -> bool:
    """Whether a grid result keeps ViNewsQA hit@1 and hit@3 at BEFORE."""
    _, _, hit1, hit3, _, folded, *_ = result
    figures = (hit1, hit3, folded[0], folded[1])
    return all(round(x, 2) >= floor for x, floor in zip(figures, BEFORE, strict=True))


def rank(result: tuple) -> tuple[float, ...]:
    """Most out-of-scope fitting questions abstained (the fitting file over both corpora
    and the seed-name questions together), then ViNewsQA hit@1."""
    return result[6], result[2]


def folds_of(n_fitting: int, n_seed_names: int, folds: int = 5) -> np.ndarray:
    """The fold of each out-of-scope row: the fitting file groups questions by topic, so
    folds interleave them; a question's two rows (over the news, over the seeds) stay
    together."""
    return np.r_[np.tile(np.arange(n_fitting) % folds, 2), np.arange(n_seed_names) % folds]


def cross_validated(kept: list[tuple], out_of_scope: np.ndarray, fold: np.ndarray) -> float:
    """% of the out-of-scope fitting rows abstained when each fold is left out of choosing
    the setting."""
    declined = []
    for k in np.unique(fold).tolist():
        train = fold != k
        best = max(kept, key=lambda r: (abstained(out_of_scope[train], r[1], r[0]), r[2]))
        declined.append(slack(out_of_scope[fold == k], *best[0]) < best[1])
    return 100 * float(np.concatenate(declined).mean())


def main() -> None:
    corpus, squad = squad_corpus(Path(sys.argv[1]))
    news = Engine.open(corpus, corpus.parent / "index", notice=lambda _: None).answerer
    with tempfile.TemporaryDirectory() as folder:
        seeds = Engine.open(index=Path(folder) / "index", notice=lambda _: None).answerer
        asked = [(q.question, q.answers) for q in squad]
        written = signals(news, asked)
        folded = signals(news, [(fold(q), a) for q, a in asked])

        def unanswerable(questions: list[str]) -> np.ndarray:
            return np.vstack([signals(e, [(q, ()) for q in questions]) for e in (news, seeds)])

        fitting = unanswerable(lines("out_of_scope_questions.txt"))
        held_out = unanswerable(lines("out_of_scope_held_out.txt"))
        fresh = unanswerable(lines("out_of_scope_fresh.txt"))
        seed_data = json.loads((DATA / "seed_questions_15.json").read_text("utf-8"))
        seed_names = signals(seeds, [(q, ()) for q in seed_data["unanswerable"]])

    known = np.vstack([written, folded, fitting])
    usable = ~np.isnan(known[:, SUPPORT])
    x = np.column_stack([known[usable, SUPPORT], np.log1p(known[usable, KNOWN])])
    y = np.r_[np.ones(len(written) + len(folded)), np.zeros(len(fitting))][usable]
    w_support, w_known = LogisticRegression(class_weight="balanced").fit(x, y).coef_[0]
    print(f"logistic regression on support, ln(1 + known): SLOPE {w_known / w_support:.3f}")
    print(f"({len(written)} answerable, written and folded; {len(fitting)} out of scope)")

    out_of_scope = np.vstack([fitting, seed_names])
    results = []
    for setting in itertools.product(*GRID.values()):
        base = base_for(written, folded, setting)
        hit1, hit3, answered = measure(written, base, setting)
        results.append(
            (
                setting,
                base,
                hit1,
                hit3,
                answered,
                measure(folded, base, setting),
                abstained(out_of_scope, base, setting),
                abstained(fitting, base, setting),
                abstained(seed_names, base, setting),
            )
        )
    print("SLOPE UNKNOWN NAMES RUNS MARGIN TITLES ABSENT  BASE |", end="")
    print(" written hit@1 hit@3 answered |", end="")
    print(" folded | out of scope | seed names")
    kept = sorted(filter(keeps, results), key=rank, reverse=True)
    for setting, base, hit1, hit3, answered, f, _, fit, names in kept[:12]:
        print(
            f"{setting[0]:5.3f} {setting[1]:7.2f} {setting[2]:5.2f} {setting[3]:4.2f} "
            f"{setting[4]:6.2f} {setting[5]:6.2f} {setting[6]:6.2f} "
            f"{base:5.3f} | "
            f"{hit1:.2f} {hit3:.2f} {answered:.2f} | {f[0]:.2f} {f[1]:.2f} {f[2]:.2f} | "
            f"{fit:.1f} % | {names:.0f} %"
        )
    if not kept:
        print(f"no setting keeps hit@1 / hit@3 at {BEFORE}")
        return
    setting, base = kept[0][0], kept[0][1]
    print(
        f"chosen: BASE = {math.floor(base * 1e4) / 1e4} (to 4 decimals, down), "
        f"SLOPE = {setting[0]}, UNKNOWN = {setting[1]}, "
        f"NAMES = {setting[2]}, RUNS = {setting[3]}, MARGIN = {setting[4]}, "
        f"TITLES = {setting[5]}, ABSENT = {setting[6]}; fitting set "
        "abstained, cross-validated "
        f"{cross_validated(kept, out_of_scope, folds_of(len(fitting) // 2, len(seed_names))):.1f}"
        f" %; held out abstained {abstained(held_out, base, setting):.1f} %, "
        f"the fresh held-out set {abstained(fresh, base, setting):.1f} %"
    )

    # Split check: BASE refit on the questions of half the documents, measured on the
    # other half; the earlier rule beside it.
    odd = np.array([int(q.doc_id[-5:]) % 2 for q in squad], dtype=bool)
    for name, (fixed_base, *rule) in (("chosen", (None, *setting)), ("earlier", EARLIER)):
        for half in (False, True):
            fit_rows = odd != half
            rule_setting = tuple(rule)
            b = (
                base_for(written[fit_rows], folded[fit_rows], rule_setting)
                if fixed_base is None
                else fixed_base
            )
            test = odd == half
            w = measure(written[test], b, rule_setting)
            f = measure(folded[test], b, rule_setting)
            print(
                f"{name:>7}, {'odd' if half else 'even'} documents' questions (BASE {b:.3f}): "
                f"written {w[0]:.2f} / {w[1]:.2f}, answered {w[2]:.2f} %; "
                f"folded {f[0]:.2f} / {f[1]:.2f}, answered {f[2]:.2f} %"
            )


if __name__ == "__main__":
    main()
