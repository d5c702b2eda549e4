"""Calibration on a model page: ECE, Brier and near-miss per MCQ set, and a reliability diagram.

Every MCQ task logs, per item, the probability of each option letter
(the ``ece`` record of :mod:`medfr_eval.metrics.calibration`) and reports ``ece``,
``brier`` and ``near_miss`` in its results row. The board shows those numbers
per set and draws one reliability diagram per model over all its MCQ items,
with :func:`medfr_eval.mcq.reliability.reliability_diagram` (matplotlib only:
``medfr_eval.mcq`` imports torch only in its model modules, never loaded here).
Runs made before these metrics existed have neither: the section is then absent,
never filled with zeros.
"""

from __future__ import annotations

from pathlib import Path

from medfr_eval.core.sets import BY_TASK, SETS
from medfr_eval.mcq.reliability import reliability_diagram

from .collect import Run

#: Results-row metrics shown per set, in this order (lm-eval key "<metric>,<filter>").
METRICS: tuple[str, ...] = ("ece", "brier", "near_miss")


def calibration_sets(run: Run) -> list[dict]:
    """Per MCQ set of the study with at least one calibration metric: the metrics and item count.

    ``n`` counts the items whose letter probabilities the sample log holds (0 if the
    results row has the metrics but the log does not)."""
    out = []
    for spec in SETS:
        tr = run.tasks.get(spec.task)
        if tr is None or not spec.kind.startswith("mcq"):
            continue
        values = {m: tr.metrics.get(f"{m},{spec.filter}") for m in METRICS}
        if all(v is None for v in values.values()):
            continue
        points = tr.log.calibration if tr.log is not None else None
        out.append({"set": spec.name, "task": spec.task, "n": len(points or []), **values})
    return out


def calibration_points(run: Run) -> list[dict]:
    """The ``(confidence, correct)`` records of every MCQ item of the study's sets in ``run``."""
    records = []
    for task, tr in sorted(run.tasks.items()):
        spec = BY_TASK[task]
        if spec.in_study and spec.kind.startswith("mcq") and tr.log is not None:
            records += [{"confidence": c, "correct": k} for c, k in tr.log.calibration or ()]
    return records


def render_reliability(named: dict[str, tuple[str, list[dict]]], folder: Path) -> dict[str, str]:
    """One SVG per model (``reliability-<slug>.svg``) with items to draw; slug -> file name.

    ``named`` maps a row's slug to its public name (the legend: never a local path)
    and its records."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for slug, (name, records) in sorted(named.items()):
        file = f"reliability-{slug}.svg"
        if records and reliability_diagram({name: records}, folder / file):
            out[slug] = file
    return out
