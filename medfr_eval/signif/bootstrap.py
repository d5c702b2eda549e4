"""Paired percentile bootstrap, as the study runs it, in plain numpy.

The study compares two models on one test set by resampling the set's items
with replacement at its size, 10,000 times, and reading the percentile interval
of the difference of the metric (accuracy, EMR or BERTScore F1: all means over
items). Because both models are scored on the *same* resampled items, the
statistic is the mean of the per-item differences ``d = a - b``; this module
therefore bootstraps ``d`` alone.

Why our own code rather than ``scipy.stats.bootstrap(paired=True)``: scipy
resamples item indices for every statistic, which is right but slow for the
study grid (11 comparisons x 15 sets, up to 4,183 items, at a Bonferroni level
whose tails hold 1.5 resamples out of 10,000). Two exact shortcuts make the whole
grid take well under a second (``benchmarks/signif.py`` measures it against
scipy on the same data):

* **Few distinct values** (the 0/1 metrics): a resample's mean depends only on
  how many times each distinct value of ``d`` was drawn. For accuracy or EMR
  ``d`` takes three values (+1, 0, -1); the counts of a resample of size ``n``
  follow ``Multinomial(n, observed shares)``. Drawing those counts is *the same
  distribution* as drawing ``n`` item indices, at a cost of two binomials per
  resample instead of ``n`` indices. We use it whenever there are at most
  :data:`MULTINOMIAL_MAX_ATOMS` distinct values.
* **Continuous values** (BERTScore): real index resampling, vectorised over
  resamples (in chunks that bound memory); :class:`ResampleIndex` draws the
  indices once per set and shares them between all models scored on it.

Cluster bootstrap: when items are not independent (FrClinicalQA's questions
share a clinical case) whole clusters are resampled, ``G`` clusters drawn with
replacement from the ``G`` observed; the statistic stays the item-level mean
over the drawn items (sum of drawn cluster sums / sum of drawn cluster sizes).
Items are the special case of clusters of size one, so one code path serves both.

p-value (two-sided, percentile bootstrap): ``p = min(1, 2 * (1 + min(#{s* <= 0},
#{s* >= 0})) / (R + 1))`` where ``s*`` are the ``R`` resampled differences. It
is the smallest alpha at which the percentile interval at level ``1 - alpha``
would just reach zero, with the usual +1 so that it is never 0 (its floor is
``2 / (R + 1)``); resamples equal to 0 count on both sides, which keeps the
identical-model case at ``p = 1``. Decisions are read from the interval, as the
study does; the p-value is reported and orders Holm's step-down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from medfr_eval.core.errors import BootstrapInputError

Decision = Literal["win", "tie", "loss"]
Correction = Literal["bonferroni", "holm", "none"]
CORRECTIONS: tuple[str, ...] = ("bonferroni", "holm", "none")

#: Up to this many distinct atoms, resample counts are drawn from a multinomial.
MULTINOMIAL_MAX_ATOMS = 16
#: Index resampling works on chunks of about this many drawn indices (memory bound).
_CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class BootstrapDistribution:
    """The resampled statistic of one comparison, kept so that its interval can
    be read at any level (a correction fixes the level only once all p-values
    of the run are known)."""

    estimate: float  # the statistic on the observed data
    samples: np.ndarray  # the R resampled statistics
    n: int  # items
    n_clusters: int  # clusters (== n for a plain bootstrap)
    kind: Literal["paired", "cluster", "single"]
    engine: Literal["multinomial", "index"]

    @property
    def resamples(self) -> int:
        return int(self.samples.size)

    def interval(self, level: float) -> tuple[float, float]:
        """Percentile interval at ``level`` (e.g. 0.95)."""
        if not 0.0 < level < 1.0:
            raise BootstrapInputError(f"level must be in (0, 1), got {level}")
        tail = (1.0 - level) / 2.0
        lo, hi = np.quantile(self.samples, [tail, 1.0 - tail])
        return float(lo), float(hi)

    def p_value(self) -> float:
        """Two-sided percentile-bootstrap p-value (definition in the module docstring)."""
        below = int(np.count_nonzero(self.samples <= 0.0))
        above = int(np.count_nonzero(self.samples >= 0.0))
        r = self.samples.size
        return float(min(1.0, 2.0 * (1 + min(below, above)) / (r + 1)))


@dataclass(frozen=True)
class BootstrapResult:
    """A comparison read at one level."""

    estimate: float
    ci_low: float
    ci_high: float
    level: float
    p_value: float
    n: int
    n_clusters: int
    resamples: int
    kind: str
    engine: str
    decision: Decision

    def verdict_json(self, p_adjusted: float) -> dict:
        """Interval, level, p-values and decision, keyed as every medfr-signif report writes them."""
        return {
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "level": self.level,
            "p_value": self.p_value,
            "p_adjusted": float(p_adjusted),
            "decision": self.decision,
        }


def decide(ci_low: float, ci_high: float) -> Decision:
    """Win when the whole interval is above zero, loss when below, else tie."""
    if ci_low > 0.0:
        return "win"
    if ci_high < 0.0:
        return "loss"
    return "tie"


def make_rng(seed: int | np.random.Generator | None, *key: str | int) -> np.random.Generator:
    """A generator for one comparison, derived from the run seed and a stable key.

    Keying by (models, task) rather than drawing from one shared stream makes a
    comparison's interval independent of which other comparisons are in the run.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    import zlib

    words = [int(seed or 0)] + [
        zlib.crc32(str(k).encode("utf-8")) if not isinstance(k, int) else k for k in key
    ]
    return np.random.default_rng(np.random.SeedSequence(words))


def _as_1d(name: str, x: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise BootstrapInputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise BootstrapInputError(f"{name} is empty: nothing to bootstrap")
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise BootstrapInputError(f"{name}[{bad}] is not a finite number ({arr[bad]})")
    return arr


def _atoms(
    values: np.ndarray, clusters: Sequence | np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per resampling unit: (sum of values, number of items)."""
    if clusters is None:
        return values, np.ones_like(values)
    labels = np.asarray(clusters)
    if labels.shape != values.shape:
        raise BootstrapInputError(
            f"clusters has {labels.size} labels for {values.size} values; one label per item"
        )
    _, inverse = np.unique(labels, return_inverse=True)
    sums = np.bincount(inverse, weights=values)
    sizes = np.bincount(inverse).astype(np.float64)
    return sums, sizes


def _unique_atoms(
    x: np.ndarray, clusters: Sequence | np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Distinct (sum, size) atoms with their counts, and the number of units."""
    sums, sizes = _atoms(x, clusters)
    if clusters is None:  # 1-D unique is much cheaper than unique rows
        vals, counts = np.unique(sums, return_counts=True)
        return np.stack([vals, np.ones_like(vals)], axis=1), counts, sums.size
    uniq, counts = np.unique(np.stack([sums, sizes], axis=1), axis=0, return_counts=True)
    return uniq, counts, sums.size


def resample_means(
    values: Sequence[float] | np.ndarray,
    *,
    resamples: int = 10_000,
    rng: np.random.Generator,
    clusters: Sequence | np.ndarray | None = None,
    engine: Literal["auto", "multinomial", "index"] = "auto",
) -> tuple[np.ndarray, str]:
    """``resamples`` bootstrap means of ``values`` (item or cluster resampling).

    ``engine="auto"`` takes the multinomial shortcut when there are at most
    :data:`MULTINOMIAL_MAX_ATOMS` distinct atoms; forcing ``"index"`` is plain
    resampling (the tests check that both give the same distribution).
    Returns the array and the engine used.
    """
    if engine not in ("auto", "multinomial", "index"):
        raise BootstrapInputError(f"unknown engine {engine!r}")
    x = _as_1d("values", values)
    if resamples < 1:
        raise BootstrapInputError(f"resamples must be >= 1, got {resamples}")
    uniq, counts, g = _unique_atoms(x, clusters)
    if engine == "multinomial" or (engine == "auto" and uniq.shape[0] <= MULTINOMIAL_MAX_ATOMS):
        return _multinomial_means(uniq, counts, g, resamples, rng), "multinomial"
    sums, sizes = _atoms(x, clusters)
    out = np.empty(resamples, dtype=np.float64)
    rows = max(1, _CHUNK_CELLS // g)
    clustered = clusters is not None
    for start in range(0, resamples, rows):
        stop = min(resamples, start + rows)
        idx = rng.integers(0, g, size=(stop - start, g))
        if clustered:
            out[start:stop] = sums[idx].sum(axis=1) / sizes[idx].sum(axis=1)
        else:
            out[start:stop] = sums[idx].mean(axis=1)
    return out, "index"


def _multinomial_means(
    uniq: np.ndarray, counts: np.ndarray, g: int, resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Resampled means from the counts of each distinct atom.

    Exact in distribution: a resample only matters through how many times each
    distinct atom is drawn (see the module docstring). The multinomial counts
    are drawn by its chain of conditional binomials, K_j ~ Bin(g - K_1 - ... -
    K_{j-1}, p_j / (p_j + ... + p_k)), one vectorised call per atom: the same law
    as ``rng.multinomial`` and faster for the 2-3 atoms of a 0/1 metric.
    """
    k = uniq.shape[0]
    remaining = np.full(resamples, g, dtype=np.int64)
    total = np.zeros(resamples)
    items = np.zeros(resamples)
    rest = float(g)
    for j in range(k - 1):
        p = min(1.0, counts[j] / rest)
        # The first draw has a scalar n, which numpy samples faster.
        kj = rng.binomial(g, p, size=resamples) if j == 0 else rng.binomial(remaining, p)
        total += kj * uniq[j, 0]
        items += kj * uniq[j, 1]
        remaining -= kj
        rest -= counts[j]
    total += remaining * uniq[k - 1, 0]
    items += remaining * uniq[k - 1, 1]
    return total / items


class ResampleIndex:
    """One draw of ``R`` resamples of a test set's items (or clusters), shared by
    every model and pair scored on that set.

    Why: with continuous metrics the cost is drawing and gathering ``R x n``
    indices. Drawing them once per set and reusing them for every model gives
    each model's resampled means once; a pair's paired bootstrap is then the
    difference of its two models' means *on the same resamples*, which is
    exactly the paired statistic. Each comparison's distribution is still a
    correct bootstrap on its own (common random numbers across comparisons of a
    set, which no single interval depends on). Means are cached per values vector.
    """

    #: Above this many cells (R x units) the matrix is not kept (memory).
    MAX_CELLS = 16_000_000

    def __init__(
        self,
        n: int,
        *,
        resamples: int,
        rng: np.random.Generator,
        clusters: Sequence | np.ndarray | None = None,
    ) -> None:
        if n < 1 or resamples < 1:
            raise BootstrapInputError(f"need n >= 1 and resamples >= 1, got {n}, {resamples}")
        self.n = n
        self.resamples = resamples
        self.clustered = clusters is not None
        if clusters is not None:
            labels = np.asarray(clusters)
            if labels.shape != (n,):
                raise BootstrapInputError(f"clusters has {labels.size} labels for {n} items")
            _, self._inverse = np.unique(labels, return_inverse=True)
            sizes = np.bincount(self._inverse).astype(np.float64)
            units = sizes.size
        else:
            units = n
        self.units = units
        self._idx = rng.integers(0, units, size=(resamples, units))
        self._items = sizes[self._idx].sum(axis=1) if clusters is not None else None
        self._cache: dict[bytes, np.ndarray] = {}

    @classmethod
    def fits(cls, n: int, resamples: int) -> bool:
        return n * resamples <= cls.MAX_CELLS

    def means(self, values: np.ndarray) -> np.ndarray:
        """Resampled means of one per-item vector (same item order as the index)."""
        x = np.asarray(values, dtype=np.float64)
        if x.shape != (self.n,):
            raise BootstrapInputError(f"index built for {self.n} items, got {x.size} values")
        key = x.tobytes()
        hit = self._cache.get(key)
        if hit is None:
            if self._items is not None:
                sums = np.bincount(self._inverse, weights=x, minlength=self.units)
                hit = sums[self._idx].sum(axis=1) / self._items
            else:
                hit = x[self._idx].mean(axis=1)
            self._cache[key] = hit
        return hit


def bootstrap_distribution(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray | None = None,
    *,
    resamples: int = 10_000,
    seed: int | np.random.Generator | None = 0,
    clusters: Sequence | np.ndarray | None = None,
    engine: Literal["auto", "multinomial", "index"] = "auto",
    index: ResampleIndex | None = None,
) -> BootstrapDistribution:
    """Bootstrap distribution of ``mean(a) - mean(b)`` over paired items, or of
    ``mean(a)`` alone when ``b`` is None (a model's own score interval).

    ``index`` (optional): a :class:`ResampleIndex` of this set, built with the
    same ``clusters``; used instead of a fresh draw when the values are continuous.
    """
    xa = _as_1d("a", a)
    x = xa
    xb = None
    if b is not None:
        xb = _as_1d("b", b)
        if xb.shape != xa.shape:
            raise BootstrapInputError(
                f"paired arrays differ in length: a has {xa.size} items, b has {xb.size}"
            )
        x = xa - xb
    if resamples < 1:
        raise BootstrapInputError(f"resamples must be >= 1, got {resamples}")
    rng = make_rng(seed)
    use_index = (
        index is not None
        and engine != "multinomial"
        and (engine == "index" or _unique_atoms(x, clusters)[0].shape[0] > MULTINOMIAL_MAX_ATOMS)
    )
    if use_index:
        if (
            index.n != x.size
            or index.resamples != resamples
            or index.clustered != (clusters is not None)
        ):
            raise BootstrapInputError(
                f"shared index ({index.n} items, {index.resamples} resamples, clustered="
                f"{index.clustered}) does not fit these data ({x.size} items, {resamples})"
            )
        samples = index.means(xa) if xb is None else index.means(xa) - index.means(xb)
        used = "index"
    else:
        samples, used = resample_means(
            x, resamples=resamples, rng=rng, clusters=clusters, engine=engine
        )
    n_clusters = x.size if clusters is None else int(np.unique(np.asarray(clusters)).size)
    kind = "single" if b is None else ("cluster" if clusters is not None else "paired")
    return BootstrapDistribution(
        estimate=float(x.mean()),
        samples=samples,
        n=int(x.size),
        n_clusters=n_clusters,
        kind=kind,
        engine=used,
    )


def read(dist: BootstrapDistribution, level: float) -> BootstrapResult:
    """Read a distribution at one level."""
    lo, hi = dist.interval(level)
    return BootstrapResult(
        estimate=dist.estimate,
        ci_low=lo,
        ci_high=hi,
        level=level,
        p_value=dist.p_value(),
        n=dist.n,
        n_clusters=dist.n_clusters,
        resamples=dist.resamples,
        kind=dist.kind,
        engine=dist.engine,
        decision=decide(lo, hi),
    )


def paired_bootstrap(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    resamples: int = 10_000,
    alpha: float = 0.05,
    m: int = 1,
    seed: int | np.random.Generator | None = 0,
    clusters: Sequence | np.ndarray | None = None,
) -> BootstrapResult:
    """Compare two models scored on the same items: the study's test, on two arrays.

    ``a[i]`` and ``b[i]`` are the two models' metric values on item ``i``. The
    interval is read at level ``1 - alpha / m`` (Bonferroni over ``m``
    comparisons; ``m=1`` is no correction). ``clusters`` (one label per item)
    switches to the cluster bootstrap.

    >>> r = paired_bootstrap([1, 1, 1, 0] * 50, [0, 1, 0, 0] * 50, seed=1)
    >>> r.decision, round(r.estimate, 2)
    ('win', 0.5)
    """
    dist = bootstrap_distribution(a, b, resamples=resamples, seed=seed, clusters=clusters)
    return read(dist, corrected_level(alpha, m, "bonferroni" if m > 1 else "none"))


def corrected_level(alpha: float, m: int, correction: str) -> float:
    """Interval level for one comparison under Bonferroni or none (Holm is rank-wise:
    see :func:`holm_levels`)."""
    if not 0.0 < alpha < 1.0:
        raise BootstrapInputError(f"alpha must be in (0, 1), got {alpha}")
    if m < 1:
        raise BootstrapInputError(f"number of comparisons m must be >= 1, got {m}")
    if correction == "bonferroni":
        return 1.0 - alpha / m
    if correction == "none":
        return 1.0 - alpha
    raise BootstrapInputError(f"unknown correction {correction!r}; use one of {CORRECTIONS}")


def holm_levels(p_values: Sequence[float], alpha: float) -> np.ndarray:
    """Holm's step-down levels: the comparison of rank ``i`` (0-based, by p-value)
    is tested at ``1 - alpha / (m - i)``."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    order = np.argsort(p, kind="stable")
    levels = np.empty(m)
    levels[order] = 1.0 - alpha / (m - np.arange(m))
    return levels


def correct(
    dists: Sequence[BootstrapDistribution], alpha: float, correction: str
) -> list[BootstrapResult]:
    """Read every comparison of a run at its corrected level and decide.

    Bonferroni / none: each interval at one level, decision = interval excludes 0.
    Holm: comparisons in increasing p-value order, each interval at its step-down
    level; the first one whose interval holds 0 stops the procedure and every
    later comparison is a tie, even if its own interval excludes 0.
    """
    m = len(dists)
    if m == 0:
        return []
    if correction != "holm":
        level = corrected_level(alpha, m, correction)
        return [read(d, level) for d in dists]
    corrected_level(alpha, m, "none")  # validates alpha
    pvals = [d.p_value() for d in dists]
    levels = holm_levels(pvals, alpha)
    results: list[BootstrapResult | None] = [None] * m
    stopped = False
    for i in np.argsort(pvals, kind="stable"):
        r = read(dists[i], float(levels[i]))
        if stopped or r.decision == "tie":
            stopped = True
            # Keep the interval as read; only the decision is forced.
            r = replace(r, decision="tie")
        results[i] = r
    return [r for r in results if r is not None]
