"""Multiple-comparison corrections and the decisions they lead to, for every test.

The study reads each paired-bootstrap interval at the Bonferroni level ``1 - alpha/m``
and calls a win when it excludes 0; :func:`bootstrap.correct` keeps that (and Holm's
step-down on intervals) exactly. This module adds what a p-value-based test needs:

* adjusted p-values for ``bonferroni`` (``min(1, m p)``), ``holm`` (step-down, made
  monotone), ``bh`` (Benjamini-Hochberg, through ``scipy.stats.false_discovery_control``)
  and ``none``; a comparison is significant when its adjusted p is at most ``alpha``,
  and the sign of the difference says win or loss;
* the level its interval is shown at: ``1 - alpha/m`` (Bonferroni, and Holm, whose
  intervals have no single level: the Bonferroni one covers all), ``1 - alpha``
  (none), and for BH the false-coverage-rate level ``1 - R alpha / m`` of Benjamini
  and Yekutieli (2005), ``R`` the number of rejections (``1 - alpha/m`` if none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from . import bootstrap as bs

CORRECTIONS: tuple[str, ...] = ("bonferroni", "holm", "bh", "none")
TESTS: tuple[str, ...] = ("bootstrap", "mcnemar", "permutation")


def adjust(p_values: Sequence[float], correction: str) -> np.ndarray:
    """Adjusted p-values (each in [0, 1]) under one correction."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return p
    if correction == "none":
        return p.copy()
    if correction == "bonferroni":
        return np.minimum(1.0, p * m)
    if correction == "holm":
        order = np.argsort(p, kind="stable")
        stepped = np.maximum.accumulate(p[order] * (m - np.arange(m)))
        out = np.empty(m)
        out[order] = np.minimum(1.0, stepped)
        return out
    if correction == "bh":
        from scipy.stats import false_discovery_control

        return np.asarray(false_discovery_control(p, method="bh"), dtype=np.float64)
    raise ValueError(f"unknown correction {correction!r}; use one of {CORRECTIONS}")


def _decide_p(estimate: float, p_adjusted: float, alpha: float) -> bs.Decision:
    if p_adjusted > alpha or estimate == 0.0:
        return "tie"
    return "win" if estimate > 0.0 else "loss"


def interval_level(alpha: float, m: int, correction: str, rejections: int) -> float:
    """The level intervals are shown at under a p-value decision (module docstring)."""
    if correction == "none":
        return 1.0 - alpha
    if correction == "bh" and rejections > 0:
        return 1.0 - rejections * alpha / m
    return 1.0 - alpha / m


def decide(
    dists: Sequence[bs.BootstrapDistribution],
    p_values: Sequence[float] | None,
    alpha: float,
    correction: str,
) -> tuple[list[bs.BootstrapResult], np.ndarray]:
    """Every comparison's result and adjusted p-value.

    ``p_values`` None means the bootstrap decides: with Bonferroni, Holm or none the
    study's interval rule (:func:`bootstrap.correct`), with BH its p-values. Else the
    given p-values (McNemar, permutation) decide through their adjusted values and the
    bootstrap interval is only shown."""
    if not dists:
        return [], np.zeros(0)
    m = len(dists)
    if p_values is None and correction != "bh":
        results = bs.correct(dists, alpha, correction)
        return results, adjust([r.p_value for r in results], correction)
    raw = np.asarray(
        [d.p_value() for d in dists] if p_values is None else p_values, dtype=np.float64
    )
    adjusted = adjust(raw, correction)
    rejections = int(np.count_nonzero(adjusted <= alpha))
    level = interval_level(alpha, m, correction, rejections)
    results = []
    for d, p, pa in zip(dists, raw, adjusted, strict=True):
        r = bs.read(d, level)
        results.append(replace(r, p_value=float(p), decision=_decide_p(d.estimate, pa, alpha)))
    return results, adjusted
