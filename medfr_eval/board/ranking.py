"""Intervals for family averages and the overall score, and ranks that admit ties.

A rank read as "3rd" claims that the model beats the 4th; with a few hundred items
per set that is often not so. The board therefore gives each model the rank
``1 + (number of models whose overall 95% interval lies wholly above its own)``:
models whose intervals overlap share a rank, and the page marks shared ranks.

The intervals of averages come from the same percentile bootstrap as the sets'
(``medfr_eval.signif.bootstrap``): each set is resampled on its own (the sets are
independent samples), and each resample's family means and overall score are
computed as the board computes the observed ones. One seed per set keeps the
draws independent across sets and the pages byte-identical between builds.
"""

from __future__ import annotations

import numpy as np

from medfr_eval.sets import FAMILIES, SETS
from medfr_eval.signif.bootstrap import bootstrap_distribution

from .collect import Run

RESAMPLES = 10_000


def average_intervals(run: Run, resamples: int = RESAMPLES) -> dict[str, tuple[float, float]]:
    """95% intervals of each complete family mean and of the overall score (key "overall")."""
    fam_draws: dict[str, np.ndarray] = {}
    for fam in FAMILIES:
        members = [(i, s) for i, s in enumerate(SETS) if s.family == fam]
        draws = []
        for i, s in members:
            tr = run.tasks.get(s.task)
            if tr is None or not tr.values:
                break
            rng = np.random.default_rng([0, i])
            dist = bootstrap_distribution(
                tr.values, resamples=resamples, seed=rng, clusters=tr.clusters
            )
            draws.append(dist.samples)
        else:
            fam_draws[fam] = np.mean(draws, axis=0)
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
