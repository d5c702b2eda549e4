"""Submission checks: what a run must show before its scores count on the board.

The board keeps a *reference* (``leaderboard/reference.json``): per task, the task
version and a digest of the prompt hashes lm-eval logged for every item. It is pinned
once, by the maintainers, from a trusted run of the board's own task files
(``medfr-leaderboard reference RUN``); a model's outputs do not enter a prompt hash, so
any honest run of the same tasks on the same data gives the same digests. A run that
used other items, another prompt template, ``--limit`` or an older task version gets a
different digest or version, and the refusal names the task.
"""

from __future__ import annotations

import math
from pathlib import Path

from medfr_eval.core import fileio
from medfr_eval.core.errors import DataError, MedfrError
from medfr_eval.core.sets import BY_TASK, FAMILIES, SETS
from medfr_eval.lmeval_output import TaskOutput, score_settings, settings_mismatch

from .collect import Run, read_json

REFERENCE_VERSION = 1


class SubmissionRefused(MedfrError):
    """A run that does not meet the board's rules; the message lists every reason."""

    def __init__(self, model: str, folder: Path, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{folder}: submission for model {model!r} refused:\n{lines}")


def make_reference(run: Run) -> dict:
    """A reference pinned from one trusted run: every task needs its sample log."""
    missing = sorted(t for t, tr in run.tasks.items() if tr.prompt_digest is None)
    if missing:
        raise DataError(
            f"no sample log for {', '.join(missing)}; rerun lm-eval with --log_samples",
            file=run.folder,
        )
    if not run.tasks:
        raise DataError("no medfr task in this run", file=run.folder)
    return {
        "medfr_board_reference": REFERENCE_VERSION,
        "source_model": run.model_name,
        "tasks": {
            t: {
                "version": tr.version,
                "n": len(tr.values or []),
                "prompt_digest": tr.prompt_digest,
                "prompt_example": tr.prompt_example,
                "settings": _settings(tr),
            }
            for t, tr in sorted(run.tasks.items())
        },
    }


def read_reference(path: Path) -> dict:
    data = read_json(path, "board reference")
    if data.get("medfr_board_reference") != REFERENCE_VERSION:
        raise DataError(
            f"expected medfr_board_reference {REFERENCE_VERSION}",
            file=path,
            field="medfr_board_reference",
        )
    tasks = data.get("tasks")
    if not isinstance(tasks, dict):
        raise DataError("expected a mapping task -> reference", file=path, field="tasks")
    for task, ref in tasks.items():
        if task not in BY_TASK:
            raise DataError("unknown medfr task", file=path, field=f"tasks.{task}")
        if not isinstance(ref, dict) or not isinstance(ref.get("prompt_digest"), str):
            raise DataError("missing", file=path, field=f"tasks.{task}.prompt_digest")
    return data


def write_json_atomic(path: Path, data: object) -> None:
    """Sorted, indented JSON (same inputs, same bytes), written atomically."""
    fileio.write_json_atomic(path, data, sort_keys=True)


def _settings(tr: TaskOutput) -> dict:
    """What changes a task's scores (the reader's rule, shared with medfr-signif); the
    version is checked on its own."""
    return {k: v for k, v in score_settings(tr).items() if k != "version"}


def problems(run: Run, reference: dict, *, allow_setting_mismatch: bool = False) -> list[str]:
    """Every reason to refuse ``run``; empty when it may enter the board.

    A run scored under other settings than the reference's (generation kwargs,
    few-shot, scorer) is refused unless ``allow_setting_mismatch``."""
    out: list[str] = []
    present = set(run.tasks)
    if not present:
        return ["no medfr task in the results (expected tasks named medfr_<set>)"]
    for fam, label in FAMILIES.items():
        members = [s.task for s in SETS if s.family == fam]
        have = [t for t in members if t in present]
        if have and len(have) < len(members):
            missing = ", ".join(t for t in members if t not in present)
            out.append(f"family {fam} ({label}) incomplete: missing {missing}")
    if run.limit not in (None, "null"):
        out.append(f"run used --limit {run.limit}; the board needs full test sets")
    ref_tasks = reference.get("tasks", {})
    for task, tr in sorted(run.tasks.items()):
        found = _task_problems(task, tr)
        out += found
        if found:
            continue
        ref = ref_tasks.get(task)
        if tr.n_effective is not None and len(tr.values) != tr.n_effective:
            out.append(
                f"{task}: sample log has {len(tr.values)} items, results say "
                f"n-samples.effective = {tr.n_effective}"
            )
        mean = sum(tr.values) / len(tr.values)
        if not math.isclose(mean, tr.score, rel_tol=1e-6, abs_tol=1e-6):
            out.append(
                f"{task}: sample log mean {mean:.6f} does not match the reported score "
                f"{tr.score:.6f}"
            )
        if ref is None:
            out.append(f"{task}: not in the board's reference")
            continue
        if str(tr.version) != str(ref.get("version")):
            out.append(
                f"{task}: task version {tr.version!r}, the board uses {ref.get('version')!r}"
            )
        if isinstance(ref.get("settings"), dict) and not allow_setting_mismatch:
            diffs = settings_mismatch(_settings(tr), ref["settings"])
            if diffs:
                out.append(
                    f"{task}: scored under other settings than the board's reference "
                    f"(this run vs the reference): {'; '.join(diffs)}"
                )
        if tr.prompt_digest != ref["prompt_digest"]:
            out.append(
                f"{task}: prompt hashes differ from the board's (other items, another "
                "prompt template or a partial run)"
            )
    return out


def _task_problems(task: str, tr: TaskOutput) -> list[str]:
    """What makes one task's output unusable on the board (the reader accepted it)."""
    spec = BY_TASK[task]
    if tr.score is None:
        return [f"{task}: sample log without a row in any results file (rerun lm-eval)"]
    if tr.log is None:
        return [
            f"{task}: sample log missing (expected samples_{task}_{tr.date}.jsonl beside "
            f"{tr.results_file.name}; run lm-eval with --log_samples)"
        ]
    if tr.log.filter != spec.filter:
        return [f"{task}: scored under filter {tr.log.filter!r}, the board uses {spec.filter!r}"]
    if tr.prompt_digest is None:
        return [f"{task}: the sample log lacks prompt hashes (prompt_hash); the board needs them"]
    return []


def check(run: Run, reference: dict, *, allow_setting_mismatch: bool = False) -> None:
    """Raise :class:`SubmissionRefused` listing every problem, or return quietly."""
    found = problems(run, reference, allow_setting_mismatch=allow_setting_mismatch)
    if found:
        raise SubmissionRefused(run.model_name, run.folder, found)
