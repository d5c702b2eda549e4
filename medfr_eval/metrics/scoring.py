"""MCQ scoring beyond lm-eval's built-in ``acc``.

Single-answer MCQ needs nothing of ours for accuracy: lm-eval's
``multiple_choice`` output type scores the allowed letters by log-likelihood
after the answer cue and its ``acc`` is the exact-match accuracy.

Multi-answer sets (FrMedMCQA; later FrenchMedMCQA, MediQAl mcqm) allow every
non-empty letter set (31 for five options). Each set is scored by the summed
log-likelihood of the letters *followed by an end-of-answer marker*
(:data:`ANSWER_END`). Without the marker (task version 1.0) the score of
``" A C"`` is ``log P(" A") + log P(" C" | " A")``, always below the score of
``" A"``: a multi-letter set could never win. With the marker, ``" A\\n"`` also
pays ``log P("\\n" | " A")``, the model's belief that the answer stops there,
so the comparison is between complete answers.

Why a newline and not the tokenizer's EOS: our prompts are raw text (no chat
template) in which every line, options included, ends with a newline, so the
newline is where a model ends an answer; base models almost never put EOS right
after a short answer in such text, and EOS has no stable string across
tokenizers (lm-eval scores continuations as text). The marker is the same for
all sets, so no set is favoured.
"""

from __future__ import annotations

from collections.abc import Sequence

from medfr_eval.mcq.probs import letter_marginals, softmax
from medfr_eval.metrics.calibration import item_calibration

ANSWER_END = "\n"


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


def multi_answer_choices(doc: dict) -> list[str]:
    """``doc_to_choice`` for multi-answer sets: every letter set followed by :data:`ANSWER_END`."""
    return [choice + ANSWER_END for choice in doc["choices"]]


def multi_answer_results(doc: dict, results: Sequence[tuple[float, bool]]) -> dict:
    """``process_results`` for multi-answer sets: one log-likelihood per letter set.

    Works for any multi-answer set: the letter sets are ``doc['choices']`` and
    the gold set ``doc['choices'][doc['gold']]``, whatever the set's name.
    ``acc`` equals ``emr`` (the chosen set is the gold set); it is reported
    under lm-eval's usual name too so that the native-MCQ group can average it
    with FrBMedQA's accuracy, as the study's tables do.

    Calibration uses the distribution over the letter sets (softmax of their
    log-likelihoods): lm-eval's log-likelihoods are sums over the whole answer,
    so the first-step letter probabilities are not among them, and computing
    them would cost another forward pass. The per-letter marginals of that
    distribution are logged as ``letter_probs``.
    """
    choices = doc["choices"]
    if len(results) != len(choices):
        raise ValueError(f"expected {len(choices)} log-likelihoods, got {len(results)}")
    lls = [ll for ll, _ in results]
    best = argmax(lls)
    pred, gold = choices[best], choices[doc["gold"]]
    exact = emr(pred, gold)
    set_probs = softmax(lls)
    out = {"acc": exact, "emr": exact, "hamming": hamming_score(pred, gold)}
    out.update(
        item_calibration(
            {c: p for c, p in zip(choices, set_probs)},
            gold=gold,
            pred=pred,
            extra={"letter_probs": letter_marginals(choices, set_probs)},
        )
    )
    return out
