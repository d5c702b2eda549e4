"""Scores split by MediQAl's ``question_type`` (Understanding / Reasoning), as lm-eval metrics.

MediQAl's authors report every score per question type (their
``evaluation/mcq*/eval_*.py``): factual recall and clinical reasoning differ by
a wide margin, and one mean hides which one a model lacks. Each MediQAl task
keeps its own metrics and adds ``<metric>_understanding`` and
``<metric>_reasoning``: every doc reports both keys, its score under its own
type and ``None`` under the other, and :func:`mean_present` averages the values
that are there. Why ``None`` and not leaving the key out: lm-eval warns when a
task's metrics are scored on different numbers of docs, and would on every run.
A doc without a ``question_type`` (a file of one's own) adds no per-type keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from medfr_eval.core.sets import QUESTION_TYPES


def split_by_type(doc: dict, scores: dict[str, Any], metrics: Iterable[str]) -> dict[str, Any]:
    """``scores`` plus ``<metric>_<type>`` for each of ``metrics`` the doc has a score for."""
    qtype = doc.get("question_type")
    if qtype not in QUESTION_TYPES:
        return scores
    out = dict(scores)
    for metric in metrics:
        if metric not in scores:  # e.g. `judge` when no judge ran or it could not be parsed
            continue
        for known in QUESTION_TYPES:
            out[f"{metric}_{known.lower()}"] = scores[metric] if known == qtype else None
    return out


def mean_present(items: list[Any]) -> float | None:
    """Mean of the values that are not ``None`` (this type's docs); None when there are none."""
    values = [float(v) for v in items if v is not None]
    return sum(values) / len(values) if values else None


def mcq_results(doc: dict, results) -> dict[str, Any]:
    """Single-answer MCQ (MediQAl MCQU): the restricted scores, and accuracy per type."""
    from medfr_eval.mcq.results import single_answer_results

    return split_by_type(doc, single_answer_results(doc, results), ("acc",))


def multi_results(doc: dict, results) -> dict[str, Any]:
    """Multi-answer MCQ (MediQAl MCQM): EMR (= acc) and Hamming, also per type."""
    from medfr_eval.metrics.scoring import multi_answer_results

    return split_by_type(doc, multi_answer_results(doc, results), ("acc", "emr", "hamming"))


def openqa_results(doc: dict, results) -> dict[str, Any]:
    """Open questions (MediQAl OEQ): BERTScore F1 and, when a judge ran, its verdict, per type."""
    from medfr_eval.judge.filter import openqa_results as judged

    return split_by_type(doc, judged(doc, results), ("bertscore_f1", "judge"))
