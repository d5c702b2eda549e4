"""Family-level comparisons: is model A better on a whole family of sets (translated MCQ,
native MCQ, open QA), not set by set?

The statistic is the family's score as lm-eval's groups report it: the unweighted
mean over the family's sets of each set's mean (``weight_by_size: false``), so
the difference is the mean of the per-set differences. Its bootstrap resamples
items *within each set* (a set's size is fixed by its test, as in the per-set
test) and averages: the per-set resampled differences are already drawn
independently per set, so the family's resampled statistic is the mean of its
sets' resampled differences, resample by resample. These tests form their own
family of ``m_f`` comparisons, corrected like the per-set grid.

``--test`` (McNemar, permutation) decides the per-set grid only: McNemar's test
has no form for a mean over sets of different sizes, so a family row is always
read from this bootstrap, and says so (``"test": "bootstrap"``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from medfr_eval.core.sets import ALL_FAMILIES

from . import bootstrap as bs
from .corrections import decide
from .pairs import Pair

#: Every family a set belongs to: the study's three, then the public extras (the
#: English twins' ``mcq_english``, ``public_native``), each tested on its own sets
#: only, so an extra family never enters a study family's mean.
FAMILY_KEYS: tuple[str, ...] = tuple(ALL_FAMILIES)


def family_distribution(dists: Sequence[bs.BootstrapDistribution]) -> bs.BootstrapDistribution:
    """The bootstrap distribution of the mean over sets of their paired differences."""
    samples = np.mean(np.stack([d.samples for d in dists]), axis=0)
    return bs.BootstrapDistribution(
        estimate=float(np.mean([d.estimate for d in dists])),
        samples=samples,
        n=sum(d.n for d in dists),
        n_clusters=sum(d.n_clusters for d in dists),
        kind="paired",
        engine="family",  # type: ignore[arg-type]  # a mean of per-set engines
    )


def family_comparisons(
    rows: Sequence[tuple[Pair, str, str]],
    dists: Sequence[bs.BootstrapDistribution],
    alpha: float,
    correction: str,
) -> list[dict]:
    """Per (pair, family) with at least two sets: the family mean difference and its test.

    ``rows`` are the per-set comparisons' (pair, task, family), aligned with ``dists``."""
    groups: dict[tuple[Pair, str], list[int]] = {}
    for i, (pair, _, fam) in enumerate(rows):
        groups.setdefault((pair, fam), []).append(i)
    keys = [k for k in sorted(groups, key=lambda k: FAMILY_KEYS.index(k[1])) if len(groups[k]) > 1]
    keys.sort(key=lambda k: [p for p, _, _ in rows].index(k[0]))
    fam_dists = [family_distribution([dists[i] for i in groups[k]]) for k in keys]
    results, adjusted = decide(fam_dists, None, alpha, correction)
    out = []
    for (pair, fam), r, pa in zip(keys, results, adjusted, strict=True):
        out.append(
            {
                "model_a": pair.model_a,
                "model_b": pair.model_b,
                "family": fam,
                "tasks": [rows[i][1] for i in groups[(pair, fam)]],
                "n": r.n,
                "diff": r.estimate,
                **r.verdict_json(pa),
                "test": "bootstrap",
            }
        )
    return out
