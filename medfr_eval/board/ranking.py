"""Intervals for sets, family averages and the overall score, and ranks that admit ties.

A rank read as "3rd" claims that the model beats the 4th; with a few hundred items
per set that is often not so. The board therefore gives each model the rank
``1 + (number of models whose overall 95% interval lies wholly above its own)``:
models whose intervals overlap share a rank, and the page marks shared ranks.

Every interval comes from **one** percentile bootstrap per model and set
(``medfr_eval.signif.bootstrap``, drawn by :func:`set_draws`): the set's own
interval is read from it, and its resampled scores feed the family means and the
overall score. Drawing a set twice (once for its cell, once for the averages) with
two seeds showed two intervals for the same model and set on one site. Each set is
resampled on its own (the sets are independent samples) with a seed keyed by the
set's task, so draws are independent across sets and pages are byte-identical
between builds.
"""

from __future__ import annotations

import numpy as np

from medfr_eval.core.sets import FAMILIES, SETS
from medfr_eval.signif.bootstrap import BootstrapDistribution, bootstrap_distribution, make_rng

from .collect import Run

RESAMPLES = 10_000  # as in the study
SEED = 0


def set_seed(task: str) -> np.random.Generator:
    """The generator of one set's bootstrap: keyed by task, the same on every build."""
    return make_rng(SEED, "board", task)


def set_draws(run: Run, resamples: int = RESAMPLES) -> dict[str, BootstrapDistribution]:
    """The one bootstrap of each of ``run``'s sets that has a sample log, by task."""
    return {
        task: bootstrap_distribution(
            tr.values, resamples=resamples, seed=set_seed(task), clusters=tr.clusters
        )
        for task, tr in sorted(run.tasks.items())
        if tr.values
    }


def average_intervals(draws: dict[str, BootstrapDistribution]) -> dict[str, tuple[float, float]]:
    """95% intervals of each complete family mean and of the overall score (key "overall"),
    from the sets' own draws (:func:`set_draws`)."""
    fam_draws: dict[str, np.ndarray] = {}
    for fam in FAMILIES:
        members = [draws.get(s.task) for s in SETS if s.family == fam]
        if all(d is not None for d in members):
            fam_draws[fam] = np.mean([d.samples for d in members], axis=0)
    out = {fam: _interval(d) for fam, d in fam_draws.items()}
    if len(fam_draws) == len(FAMILIES):
        out["overall"] = _interval(np.mean(list(fam_draws.values()), axis=0))
    return out


def _interval(draws: np.ndarray) -> tuple[float, float]:
    lo, hi = np.quantile(draws, [0.025, 0.975])
    return float(lo), float(hi)


def shared_ranks(rows: list[dict]) -> None:
    """Set ``rank`` (position), ``rank_ci`` (rank allowing ties) and ``tied`` on each row.

    Rows must be sorted best first. A row without an overall interval gets no
    ``rank_ci``; ``tied`` says that another row shows the same ``rank_ci``."""
    for pos, r in enumerate(rows, 1):
        r["rank"] = pos
        lo_hi = r.get("overall_ci")
        if not lo_hi:
            r["rank_ci"] = None
            continue
        r["rank_ci"] = 1 + sum(
            1 for o in rows if o is not r and o.get("overall_ci") and o["overall_ci"][0] > lo_hi[1]
        )
    counts: dict[int, int] = {}
    for r in rows:
        if r["rank_ci"] is not None:
            counts[r["rank_ci"]] = counts.get(r["rank_ci"], 0) + 1
    for r in rows:
        r["tied"] = r["rank_ci"] is not None and counts[r["rank_ci"]] > 1
