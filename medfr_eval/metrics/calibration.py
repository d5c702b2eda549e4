"""Calibration of MCQ answers: ECE (15 equal-width bins), Brier score, near-miss rate.

Per item, :func:`item_calibration` turns a probability distribution over the
labels (option letters, or letter sets in restricted multi-answer scoring) and
the gold label(s) into the values that lm-eval aggregates:

- ``ece``: the item's record ``{"probs", "gold", "confidence", "correct"}``,
  aggregated by :func:`ece` (lm-eval's ``aggregation`` takes a function). The
  record is also how the letter probabilities reach the sample log.
- ``brier``: sum over labels of ``(p - y)^2`` (multi-class Brier score, 0 best,
  2 worst), aggregated by mean. With several gold letters and a distribution
  over single letters, ``y`` spreads evenly over them (any gold letter is a
  right first answer step).
- ``near_miss``: 1 when the top label is wrong and the second one is gold.

Confidence is the top probability and "correct" means the top label is gold:
calibration of the distribution itself, whatever the decoding mode then
outputs. Pure Python: the board imports it without torch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

N_BINS = 15


def _ranked(probs: Mapping[str, float]) -> list[str]:
    """Labels by decreasing probability; ties keep the given order (first wins, like argmax)."""
    order = {k: i for i, k in enumerate(probs)}
    return sorted(probs, key=lambda k: (-probs[k], order[k]))


def item_calibration(
    probs: Mapping[str, float],
    gold: str | Iterable[str],
    pred: str | None = None,
    extra: Mapping | None = None,
) -> dict:
    """The per-item ``ece``, ``brier`` and ``near_miss`` values (see the module docstring).

    ``gold`` is one label or several (gold letters when ``probs`` is over single
    letters). An empty ``probs`` (no probabilities available) gives ``{}``, so
    the metrics are absent rather than made up.
    """
    if not probs:
        return {}
    golds = {gold} if isinstance(gold, str) else set(gold)
    ranked = _ranked(probs)
    top = ranked[0]
    correct = float(top in golds)
    share = 1.0 / len(golds)
    brier = sum((p - (share if k in golds else 0.0)) ** 2 for k, p in probs.items())
    brier += sum(share**2 for k in golds if k not in probs)
    near = float(not correct and len(ranked) > 1 and ranked[1] in golds)
    record = {
        "probs": {k: float(v) for k, v in probs.items()},
        "gold": sorted(golds),
        "confidence": float(probs[top]),
        "correct": correct,
    }
    if pred is not None:
        record["pred"] = pred
    if extra:
        record.update(extra)
    return {"ece": record, "brier": brier, "near_miss": near}


def bin_index(confidence: float, n_bins: int = N_BINS) -> int:
    """Equal-width bins (i/n, (i+1)/n]; a confidence of 0 falls in the first bin."""
    if confidence <= 0.0:
        return 0
    return min(n_bins - 1, int(-(-confidence * n_bins // 1)) - 1)


def reliability_bins(records: Sequence[Mapping], n_bins: int = N_BINS) -> list[dict]:
    """Per bin: bounds, item count, mean confidence, accuracy (None where empty)."""
    sums = [[0, 0.0, 0.0] for _ in range(n_bins)]
    for rec in records:
        b = sums[bin_index(float(rec["confidence"]), n_bins)]
        b[0] += 1
        b[1] += float(rec["confidence"])
        b[2] += float(rec["correct"])
    return [
        {
            "lower": i / n_bins,
            "upper": (i + 1) / n_bins,
            "count": n,
            "confidence": conf / n if n else None,
            "accuracy": acc / n if n else None,
        }
        for i, (n, conf, acc) in enumerate(sums)
    ]


def ece(records: Sequence[Mapping], n_bins: int = N_BINS) -> float:
    """Expected calibration error: sum over bins of |B|/n * |accuracy(B) - confidence(B)|.

    lm-eval aggregation function for the ``ece`` metric (items are the
    per-item records of :func:`item_calibration`).
    """
    records = [r for r in records if r]
    if not records:
        raise ValueError("ECE of no items")
    n = len(records)
    return sum(
        b["count"] / n * abs(b["accuracy"] - b["confidence"])
        for b in reliability_bins(records, n_bins)
        if b["count"]
    )
