"""MCQ scoring beyond lm-eval's built-in ``acc``.

Single-answer MCQ needs nothing of ours: lm-eval's ``multiple_choice`` output
type scores the allowed letters by log-likelihood after the answer cue and its
``acc`` is the exact-match accuracy. FrMedMCQA has several correct letters: the
allowed answers are the 31 letter sets, the chosen set is the one with the
highest log-likelihood, and the study reports exact match (EMR) and the Hamming
score, which lm-eval does not compute; hence this module.
"""

from __future__ import annotations

from collections.abc import Sequence


def letters_of(answer: str) -> frozenset[str]:
    """``"A C D"`` -> ``{"A", "C", "D"}``."""
    return frozenset(answer.split())


def emr(pred: str, gold: str) -> float:
    """Exact match ratio of one item: 1 when the predicted set is exactly the gold set."""
    return float(letters_of(pred) == letters_of(gold))


def hamming_score(pred: str, gold: str) -> float:
    """Hamming score of one item: |pred ∩ gold| / |pred ∪ gold| (FrenchMedMCQA's definition)."""
    p, g = letters_of(pred), letters_of(gold)
    union = p | g
    return len(p & g) / len(union) if union else 1.0


def argmax(values: Sequence[float]) -> int:
    """Index of the largest value, first one on ties (as numpy.argmax, which lm-eval uses)."""
    best = 0
    for i, v in enumerate(values):
        if v > values[best]:
            best = i
    return best


def multi_answer_results(doc: dict, results: Sequence[tuple[float, bool]]) -> dict[str, float]:
    """``process_results`` for FrMedMCQA: one log-likelihood per letter set, in ``doc['choices']`` order.

    ``acc`` equals ``emr`` (the chosen set is the gold set); it is reported
    under lm-eval's usual name too so that the native-MCQ group can average it
    with FrBMedQA's accuracy, as the study's tables do.
    """
    choices = doc["choices"]
    if len(results) != len(choices):
        raise ValueError(f"expected {len(choices)} log-likelihoods, got {len(results)}")
    pred = choices[argmax([ll for ll, _ in results])]
    gold = choices[doc["gold"]]
    exact = emr(pred, gold)
    return {"acc": exact, "emr": exact, "hamming": hamming_score(pred, gold)}
