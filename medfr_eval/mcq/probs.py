"""Letter probabilities at the first answer step, renormalised over the option letters.

Pure Python (no torch): the sample-log readers and the board use it too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def softmax(logits: Sequence[float]) -> list[float]:
    """Numerically stable softmax of log-scores."""
    top = max(logits)
    exps = [math.exp(x - top) for x in logits]
    total = sum(exps)
    return [e / total for e in exps]


def logsumexp(values: Sequence[float]) -> float:
    finite = [v for v in values if v != -math.inf]
    if not finite:
        return -math.inf
    top = max(finite)
    return top + math.log(sum(math.exp(v - top) for v in finite))


def renormalise(logprobs: Mapping[str, float], letters: Sequence[str]) -> dict[str, float]:
    """Probabilities over ``letters`` from their (unnormalised) log-probabilities.

    Letters missing from ``logprobs`` (e.g. outside a vLLM top-k) get
    probability 0; if none is present the result is empty.
    """
    present = [(k, logprobs[k]) for k in letters if logprobs.get(k, -math.inf) != -math.inf]
    if not present:
        return {}
    probs = softmax([v for _, v in present])
    out = dict.fromkeys(letters, 0.0)
    out.update({k: p for (k, _), p in zip(present, probs)})
    return out


def merge_forms(form_logprobs: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Merge the log-probabilities of the forms of a letter ("A" and " A") by log-sum-exp."""
    return {letter: logsumexp(list(values)) for letter, values in form_logprobs.items()}


def letter_marginals(choices: Sequence[str], probs: Sequence[float]) -> dict[str, float]:
    """P(letter in answer) from a distribution over letter sets ("A", "A C", ...)."""
    out: dict[str, float] = {}
    for choice, p in zip(choices, probs):
        for letter in choice.split():
            out[letter] = out.get(letter, 0.0) + p
    return dict(sorted(out.items()))
