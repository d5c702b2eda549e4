"""The two tests besides the bootstrap: exact McNemar and the paired sign-flip permutation.

Both test "no difference" on paired items and give a two-sided p-value; the
decision and correction are :mod:`.corrections`' job.

* **McNemar (exact)**, for 0/1 metrics (accuracy, EMR): only the discordant items
  count, ``b`` where A is right and B wrong, ``c`` the reverse; under the null each
  is ``Binomial(b + c, 1/2)``; ``scipy.stats.binomtest`` gives the exact two-sided p.
* **Sign-flip permutation** (any metric): under the null the sign of each paired
  difference ``d_i`` (or each cluster's summed difference) is a fair coin; ``p`` is
  the share of sign flips whose ``|mean|`` reaches the observed one. Exact (every
  flip enumerated) when ``2^k`` flips, ``k`` the non-zero units, fit in the
  resamples asked for; else Monte Carlo with the usual ``(1 + hits) / (R + 1)``.
  Own code because scipy's ``permutation_test(permutation_type="samples")``
  resamples with a Python callback per batch and no shortcut for ties; here
  units with the same ``|d|`` are flipped together through one binomial draw
  (exact in distribution), so a 0/1 metric costs one binomial per resample.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from medfr_eval.core.errors import BootstrapInputError

#: Enumerate every sign flip up to this many non-zero units (2^16 = 65,536 flips).
EXACT_MAX_UNITS = 16
_CHUNK_CELLS = 4_000_000
_TOL = 1e-12  # float slack when comparing a resampled |mean| with the observed one


def is_binary(values: np.ndarray) -> bool:
    """All values 0 or 1 (McNemar's condition)."""
    return bool(np.all((values == 0.0) | (values == 1.0)))


def mcnemar_p(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Exact two-sided McNemar p-value of paired 0/1 outcomes."""
    from scipy.stats import binomtest

    xa, xb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if xa.shape != xb.shape or xa.ndim != 1:
        raise BootstrapInputError(f"paired arrays differ in shape: {xa.shape} vs {xb.shape}")
    if not (is_binary(xa) and is_binary(xb)):
        raise BootstrapInputError("McNemar's test needs 0/1 values (accuracy, EMR)")
    b01 = int(np.count_nonzero((xa == 1.0) & (xb == 0.0)))
    c10 = int(np.count_nonzero((xa == 0.0) & (xb == 1.0)))
    if b01 + c10 == 0:
        return 1.0
    return float(binomtest(b01, b01 + c10, 0.5).pvalue)


def _unit_sums(d: np.ndarray, clusters: Sequence | np.ndarray | None) -> np.ndarray:
    if clusters is None:
        return d
    labels = np.asarray(clusters)
    if labels.shape != d.shape:
        raise BootstrapInputError(f"clusters has {labels.size} labels for {d.size} items")
    _, inverse = np.unique(labels, return_inverse=True)
    return np.bincount(inverse, weights=d)


def _exact(units: np.ndarray, observed: float) -> float:
    k = units.size
    signs = ((np.arange(2**k)[:, None] >> np.arange(k)) & 1) * 2 - 1
    stats = np.abs(signs @ units)
    return float(np.count_nonzero(stats >= observed - _TOL) / 2**k)


def _monte_carlo(units: np.ndarray, observed: float, resamples: int, rng) -> float:
    mags, counts = np.unique(np.abs(units), return_counts=True)
    hits = 0
    if mags.size <= 16:  # few distinct |d|: flips of equal magnitudes drawn as one binomial
        total = np.zeros(resamples)
        for v, c in zip(mags, counts, strict=True):
            total += v * (2 * rng.binomial(int(c), 0.5, size=resamples) - int(c))
        hits = int(np.count_nonzero(np.abs(total) >= observed - _TOL))
    else:
        rows = max(1, _CHUNK_CELLS // units.size)
        for start in range(0, resamples, rows):
            size = min(rows, resamples - start)
            signs = rng.integers(0, 2, size=(size, units.size)) * 2 - 1
            hits += int(np.count_nonzero(np.abs(signs @ units) >= observed - _TOL))
    return (1 + hits) / (resamples + 1)


def permutation_p(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    resamples: int = 10_000,
    rng: np.random.Generator,
    clusters: Sequence | np.ndarray | None = None,
) -> float:
    """Two-sided paired sign-flip permutation p-value of ``mean(a - b)`` (module docstring).

    With ``clusters`` the signs flip per cluster (its items' summed difference)."""
    xa, xb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if xa.shape != xb.shape or xa.ndim != 1 or xa.size == 0:
        raise BootstrapInputError(f"paired arrays differ in shape: {xa.shape} vs {xb.shape}")
    if resamples < 1:
        raise BootstrapInputError(f"resamples must be >= 1, got {resamples}")
    units = _unit_sums(xa - xb, clusters)
    units = units[units != 0.0]
    if units.size == 0:
        return 1.0
    observed = abs(float(units.sum()))
    if units.size <= EXACT_MAX_UNITS and 2**units.size <= max(resamples, 2):
        return _exact(units, observed)
    return _monte_carlo(units, observed, resamples, rng)
