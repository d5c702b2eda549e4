"""The method notes printed under every ``medfr-signif`` report: how each number was obtained.

In English, like the rest of medfr's interface (docs/design.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from medfr_eval.lmeval_output import CLUSTER_KEYS

from .labels import set_title

if TYPE_CHECKING:
    from .compare import Comparison
    from .runs import Run


_TESTS = {
    "mcnemar": "Decided by McNemar's exact test (discordant items, binomial law) on the sets "
    "with a 0/1 metric, else by the permutation test; the bootstrap interval is for reference.",
    "permutation": "Decided by the paired permutation test (signs of the per-item, or "
    "per-cluster, differences flipped at random); the bootstrap interval is for reference.",
}


def _correction_note(alpha: float, correction: str, m: int) -> str:
    if correction == "bh":
        return (
            f"Benjamini-Hochberg correction (false discovery rate {alpha:g}): adjusted p-values "
            "from scipy.stats.false_discovery_control; intervals at level 1 - R alpha / m "
            "(R: number of rejections, Benjamini and Yekutieli 2005)."
        )
    if correction == "bonferroni":
        return f"Bonferroni correction: every interval at level 1 - {alpha:g}/{m} = {1 - alpha / m:.5f}."
    if correction == "holm":
        return (
            f"Holm correction (step-down): the comparison of rank i (by increasing p) is read at "
            f"level 1 - {alpha:g}/(m - i + 1); from the first interval holding 0 on, the rest are ties."
        )
    return f"No correction: every interval at level {1 - alpha:g}."


def method_notes(method: dict, comparisons: Sequence[Comparison], runs: Sequence[Run]) -> list[str]:
    """How the numbers were obtained: resamples, level, correction, clusters, p-value."""
    m, alpha = method["m"], method["alpha"]
    notes = [
        f"Paired percentile bootstrap, {method['resamples']} resamples, seed {method['seed']}, "
        f"alpha = {alpha:g}, m = {m} comparisons (pairs x sets).",
    ]
    if m:
        notes.append(_correction_note(alpha, method["correction"], m))
    if method.get("test") in _TESTS:
        notes.append(_TESTS[method["test"]])
    if method.get("m_families"):
        notes.append(
            f"Comparisons per family: unweighted mean of the per-set differences, bootstrap within "
            f"each set, m = {method['m_families']}, same correction."
        )
    if method.get("m_translation_gap"):
        notes.append(
            "Translation gap: the French score minus the English score of the same model on the "
            f"same items (paired by doc_id); the gaps of every run form one family, "
            f"m = {method['m_translation_gap']} (runs x sets), same correction."
        )
    if method.get("test", "bootstrap") != "bootstrap" and (
        method.get("m_families") or method.get("m_translation_gap")
    ):
        notes.append(
            f"--test {method['test']} decides the per-set comparisons only: the family "
            "comparisons and the translation gap are decided by the paired bootstrap "
            '(their "test" field says bootstrap).'
        )
    clustered = [c for c in comparisons if c.result.kind == "cluster"]
    if clustered:
        tasks = sorted({c.task for c in clustered})
        sizes = sorted({c.n_clusters for c in clustered})
        notes.append(
            f"{', '.join(set_title(t) for t in tasks)}: cluster bootstrap (the default for this set) — "
            f"whole clinical cases are resampled (field doc.{CLUSTER_KEYS[tasks[0]]}, "
            f"{'/'.join(map(str, sizes))} cases), as the questions of one case are not independent; "
            "--no-cluster resamples the questions one by one, as the study did."
        )
    notes.append(
        "Two-sided p-value: min(1, 2 (1 + min(#{d* <= 0}, #{d* >= 0})) / (R + 1)); "
        "the decision reads from the interval (excludes 0: a win or a loss for model_a)."
    )
    for r in runs:
        notes.extend(r.notes)
    return notes
