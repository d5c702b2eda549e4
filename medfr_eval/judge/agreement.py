"""Does the judge agree with people? Statistics on paired (judge, human) 0/1 verdicts.

What the authors' companion study ("Who Judges the Judge?") reports, for the
whole label set and per generating model (a judge can be lenient with one
writer and strict with another): accuracy (raw agreement) with a percentile
bootstrap interval, F1 of the judge against the human "1" class, Cohen's
kappa (agreement beyond chance), Pearson's r (phi for 0/1), and McNemar's exact
test on the discordant pairs (is the judge systematically more lenient or
stricter than the human?). Verbosity bias: Spearman's rho between answer
length and the judge's verdict, beside the same for the human verdict (a judge
that rewards length has a clearly larger rho than the human).

scipy does the tests (``binomtest`` for exact McNemar, ``pearsonr``,
``spearmanr``); the counts are a few lines of numpy. scipy.stats is imported
where it is used: ``medfr judge`` (and ``medfr --help``, which lists it) import
this module for its bootstrap defaults, and scipy.stats alone costs over half a
second.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 12345  # the 2026 protocol's seed


@dataclass(frozen=True)
class Confusion:
    """Counts with the human as reference: ``judge_only`` = judge 1, human 0 (b); ``human_only`` = c."""

    both: int
    judge_only: int
    human_only: int
    neither: int

    @property
    def n(self) -> int:
        return self.both + self.judge_only + self.human_only + self.neither


def confusion(judge: np.ndarray, human: np.ndarray) -> Confusion:
    judge, human = np.asarray(judge, dtype=int), np.asarray(human, dtype=int)
    return Confusion(
        both=int(np.sum((judge == 1) & (human == 1))),
        judge_only=int(np.sum((judge == 1) & (human == 0))),
        human_only=int(np.sum((judge == 0) & (human == 1))),
        neither=int(np.sum((judge == 0) & (human == 0))),
    )


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def accuracy(c: Confusion) -> float | None:
    return _ratio(c.both + c.neither, c.n)


def f1(c: Confusion) -> float | None:
    """F1 of the judge's 1s against the human's 1s (None when neither ever says 1)."""
    return _ratio(2 * c.both, 2 * c.both + c.judge_only + c.human_only)


def cohen_kappa(c: Confusion) -> float | None:
    """(p_o - p_e) / (1 - p_e); None when p_e = 1 (both raters constant and equal)."""
    n = c.n
    if not n:
        return None
    p_o = (c.both + c.neither) / n
    judge_yes = (c.both + c.judge_only) / n
    human_yes = (c.both + c.human_only) / n
    p_e = judge_yes * human_yes + (1 - judge_yes) * (1 - human_yes)
    return _ratio(p_o - p_e, 1 - p_e)


def mcnemar_exact(c: Confusion) -> float:
    """Two-sided exact McNemar p-value: binomial test of b against b + c at 1/2 (1.0 if no discordance)."""
    discordant = c.judge_only + c.human_only
    if discordant == 0:
        return 1.0
    from scipy import stats

    return float(stats.binomtest(c.judge_only, discordant, 0.5).pvalue)


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson's r (phi for two 0/1 series); None when either is constant or too short."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2 or np.all(x == x[0]) or np.all(y == y[0]):
        return None
    from scipy import stats

    return _finite(stats.pearsonr(x, y).statistic)


def spearman(x: np.ndarray, y: np.ndarray) -> dict[str, float | None]:
    """Spearman's rho and its p-value; both None when a series is constant."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return {"rho": None, "p": None}
    from scipy import stats

    res = stats.spearmanr(x, y)
    return {"rho": _finite(res.statistic), "p": _finite(res.pvalue)}


def bootstrap_accuracy(
    judge: np.ndarray,
    human: np.ndarray,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile interval of the agreement rate, resampling labelled items with replacement."""
    agree = (np.asarray(judge) == np.asarray(human)).astype(float)
    if len(agree) == 0:
        return None
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    # chunks keep memory flat for large label sets
    for start in range(0, resamples, 1000):
        stop = min(start + 1000, resamples)
        idx = rng.integers(0, len(agree), size=(stop - start, len(agree)))
        means[start:stop] = agree[idx].mean(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high)


@dataclass(frozen=True)
class Agreement:
    n: int
    confusion: dict[str, int]
    accuracy: float | None
    accuracy_ci95: tuple[float, float] | None
    f1: float | None
    kappa: float | None
    pearson: float | None
    mcnemar_p: float
    judge_positive_rate: float | None
    human_positive_rate: float | None
    length_judge: dict[str, float | None]
    length_human: dict[str, float | None]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["accuracy_ci95"] = list(self.accuracy_ci95) if self.accuracy_ci95 else None
        return out


def agreement(
    judge: np.ndarray,
    human: np.ndarray,
    lengths: np.ndarray,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Agreement:
    """All statistics for one set of paired verdicts (``lengths``: answer length in words)."""
    judge, human = np.asarray(judge, dtype=int), np.asarray(human, dtype=int)
    c = confusion(judge, human)
    return Agreement(
        n=c.n,
        confusion=asdict(c),
        accuracy=accuracy(c),
        accuracy_ci95=bootstrap_accuracy(judge, human, resamples, seed),
        f1=f1(c),
        kappa=cohen_kappa(c),
        pearson=pearson(judge, human),
        mcnemar_p=mcnemar_exact(c),
        judge_positive_rate=_ratio(c.both + c.judge_only, c.n),
        human_positive_rate=_ratio(c.both + c.human_only, c.n),
        length_judge=spearman(lengths, judge),
        length_human=spearman(lengths, human),
    )
