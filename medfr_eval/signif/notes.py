"""The method notes printed under every ``medfr-signif`` report (in French, as the study)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from medfr_eval.lmeval_output import CLUSTER_KEYS
from medfr_eval.sets import BY_TASK

if TYPE_CHECKING:
    from .compare import Comparison
    from .runs import Run


_TESTS = {
    "mcnemar": "Décision par le test exact de McNemar (items discordants, loi binomiale) sur les "
    "jeux à métrique 0/1, sinon par le test de permutation ; l'intervalle bootstrap est indicatif.",
    "permutation": "Décision par le test de permutation apparié (inversion des signes des "
    "différences par item, ou par grappe) ; l'intervalle bootstrap est indicatif.",
}


def _correction_note(alpha: float, correction: str, m: int) -> str:
    if correction == "bh":
        return (
            f"Correction de Benjamini-Hochberg (taux de fausses découvertes {alpha:g}) : "
            "p corrigées par scipy.stats.false_discovery_control ; intervalles au niveau "
            "1 - R alpha / m (R : nombre de rejets, Benjamini et Yekutieli 2005)."
        )
    if correction == "bonferroni":
        return f"Correction de Bonferroni : chaque intervalle au niveau 1 - {alpha:g}/{m} = {1 - alpha / m:.5f}."
    if correction == "holm":
        return (
            f"Correction de Holm (pas à pas descendant) : la comparaison de rang i (par p croissante) "
            f"est lue au niveau 1 - {alpha:g}/(m - i + 1) ; dès un intervalle contenant 0, les suivantes sont des égalités."
        )
    return f"Sans correction : chaque intervalle au niveau {1 - alpha:g}."


def method_notes(method: dict, comparisons: Sequence[Comparison], runs: Sequence[Run]) -> list[str]:
    """How the numbers were obtained: resamples, level, correction, clusters, p-value."""
    m, alpha = method["m"], method["alpha"]
    notes = [
        f"Bootstrap percentile apparié, {method['resamples']} rééchantillonnages, graine {method['seed']}, "
        f"alpha = {alpha:g}, m = {m} comparaisons (paires x jeux).",
    ]
    if m:
        notes.append(_correction_note(alpha, method["correction"], m))
    if method.get("test") in _TESTS:
        notes.append(_TESTS[method["test"]])
    if method.get("m_families"):
        notes.append(
            f"Comparaisons par famille : moyenne non pondérée des écarts par jeu, bootstrap dans "
            f"chaque jeu, m = {method['m_families']}, même correction."
        )
    if method.get("m_translation_gap"):
        notes.append(
            "Écart de traduction : score français moins score anglais du même modèle sur les mêmes "
            f"items (appariés par doc_id), m = {method['m_translation_gap']}, même correction."
        )
    clustered = [c for c in comparisons if c.result.kind == "cluster"]
    if clustered:
        tasks = sorted({c.task for c in clustered})
        sizes = sorted({c.n_clusters for c in clustered})
        notes.append(
            f"{', '.join(BY_TASK[t].title for t in tasks)} : bootstrap par grappes (par défaut pour ce jeu) — "
            f"on rééchantillonne des cas cliniques entiers (champ doc.{CLUSTER_KEYS[tasks[0]]}, "
            f"{'/'.join(map(str, sizes))} cas), car les questions d'un même cas ne sont pas indépendantes ; "
            "--no-cluster rééchantillonne les questions comme l'étude."
        )
    notes.append(
        "Valeur p bilatérale : min(1, 2 (1 + min(#{d* <= 0}, #{d* >= 0})) / (R + 1)) ; "
        "la décision se lit sur l'intervalle (exclut 0 : victoire ou défaite de model_a)."
    )
    for r in runs:
        notes.extend(r.notes)
    return notes
