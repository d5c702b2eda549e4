"""lm-eval output folders: results files merged per model, each task with its sample log.

``lm_eval ... --output_path OUT --log_samples`` writes, per model,
``OUT/<model_name_sanitized>/results_<date>.json`` and one
``samples_<task>_<date>.jsonl`` per task (lm_eval/loggers/evaluation_tracker.py).
A results file holds, per task, the aggregated metrics (``results``), the task
version (``versions``), the item counts (``n-samples``) and the task config
(``configs``: generation kwargs, few-shot); ``model_name`` and ``config`` say
which model ran.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import ALL_FAMILIES, ALL_SETS, BY_TASK

from .naming import display_name, find_run_card
from .samples import SampleLog, Warn, read_sample_log
from .twins import french_task, spec_for

# lm-eval's date_id is datetime.now().isoformat() with ":" replaced by "-"; ISO
# strings of one format sort in time order.
_DATE = r"(?P<date>\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)"
SAMPLES_RE = re.compile(rf"^samples_(?P<task>.+)_{_DATE}\.jsonl$")
RESULTS_RE = re.compile(rf"^results_{_DATE}\.json$")


@dataclass
class TaskOutput:
    """One medfr task of one model folder: its results-file row and its sample log."""

    task: str
    date: str
    score: float | None = None  # the set's headline metric from the results file
    version: Any = None
    n_effective: int | None = None
    n_original: int | None = None
    config: dict = field(default_factory=dict)  # the task config lm-eval logged
    #: Every finite number of the task's results row ("ece,none", "brier,none", ...).
    metrics: dict[str, float] = field(default_factory=dict)
    results_file: Path | None = None
    samples_file: Path | None = None
    log: SampleLog | None = None

    @property
    def generation_kwargs(self) -> dict:
        kwargs = self.config.get("generation_kwargs")
        return kwargs if isinstance(kwargs, dict) else {}

    @property
    def num_fewshot(self) -> int | None:
        shots = self.config.get("num_fewshot")
        return shots if isinstance(shots, int) else None

    @property
    def values(self) -> list[float] | None:
        return self.log.values.tolist() if self.log is not None else None

    @property
    def clusters(self) -> list[str] | None:
        return self.log.clusters if self.log is not None else None

    @property
    def prompt_digest(self) -> str | None:
        return self.log.prompt_digest if self.log is not None else None

    @property
    def prompt_example(self) -> str | None:
        return self.log.prompt_example if self.log is not None else None


@dataclass
class RunOutput:
    """One model folder: every medfr task found in its results files and sample logs."""

    folder: Path
    model_name: str
    model_args: Any = None
    limit: Any = None
    lm_eval_version: str | None = None
    tasks: dict[str, TaskOutput] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    run_card: dict | None = None
    run_card_path: Path | None = None
    #: English twins of translated sets (``medfr_en_<set>``), read only when asked.
    twins: dict[str, TaskOutput] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        """The model's name under the one naming rule (:func:`.naming.display_name`)."""
        return display_name(self.model_name, self.run_card)

    @property
    def scores(self) -> dict[str, float]:
        """Headline score per task, where the results file gives one."""
        return {t: o.score for t, o in self.tasks.items() if o.score is not None}


@dataclass
class HeadlineScores:
    """Per-set headline scores and family (group) means of one results folder."""

    model_name: str
    sets: dict[str, float]  # set name (e.g. "kqa") -> headline metric
    families: dict[str, float]  # family -> unweighted mean of its present sets
    complete: list[str]  # families all of whose sets are present


# --------------------------------------------------------------------------- JSON


def _non_finite(data: Any, where: str = "") -> tuple[str, float] | None:
    """The first NaN or infinity in ``data`` with its field path (``scores[0].ci_high``)."""
    if isinstance(data, float) and not math.isfinite(data):
        return where, data
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, value in items:
        sub = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else str(key)
        found = _non_finite(value, sub)
        if found is not None:
            return found
    return None


def read_json_object(path: str | Path, what: str = "JSON file") -> dict:
    """A JSON object from ``path``; every failure is one DataError naming the file (and line)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{what} not found", file=path) from None
    except OSError as e:
        raise DataError(f"cannot read {what}: {e.strerror}", file=path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(f"{what} is not valid JSON: {e.msg}", file=path, line=e.lineno) from None
    # Python's parser accepts NaN and Infinity, which are not JSON: a page would show
    # "nan - inf" and could not embed them as strict JSON. Name the field.
    bad = _non_finite(data)
    if bad is not None:
        raise DataError(
            f"expected a finite number, got {bad[1]!r} (NaN and Infinity are not JSON)",
            file=path,
            field=bad[0] or None,
        )
    if not isinstance(data, dict):
        raise DataError(f"{what}: expected a JSON object", file=path)
    return data


def model_name_from_results(results: dict) -> str | None:
    """``model_name`` as lm-eval's tracker records it, else ``pretrained`` from the model args."""
    name = results.get("model_name")
    if isinstance(name, str) and name:
        return name
    config = results.get("config")
    args = config.get("model_args") if isinstance(config, dict) else None
    if isinstance(args, dict):
        pre = args.get("pretrained") or args.get("model")
        return str(pre) if pre else None
    if isinstance(args, str):
        for part in args.split(","):
            key, _, value = part.partition("=")
            if key.strip() in ("pretrained", "model") and value.strip():
                return value.strip()
    return None


# --------------------------------------------------------------------------- folders


def _has_outputs(folder: Path) -> bool:
    return any(
        SAMPLES_RE.match(p.name) or RESULTS_RE.match(p.name)
        for p in folder.iterdir()
        if p.is_file()
    )


def find_model_folders(path: str | Path) -> list[Path]:
    """Model folders under one path given by a user.

    ``path`` is the ``--output_path`` of one or more lm-eval runs (one sub-folder
    per model, found at any depth), a model folder, or a results or samples file
    in one."""
    p = Path(path)
    if not p.exists():
        raise DataError("results folder not found (no such file or folder)", file=p)
    if p.is_file():
        if not (SAMPLES_RE.match(p.name) or RESULTS_RE.match(p.name)):
            raise DataError("not an lm-eval results or samples file", file=p)
        p = p.parent
    if _has_outputs(p):
        return [p]
    found = sorted({f.parent for f in p.rglob("*.json*") if f.is_file()})
    folders = [f for f in found if _has_outputs(f)]
    if not folders:
        raise DataError(
            "no lm-eval output (results_<date>.json, samples_<task>_<date>.jsonl) in this "
            "folder; run lm_eval with --output_path and --log_samples",
            file=p,
        )
    return folders


def _scan(folder: Path) -> tuple[dict[str, Path], dict[str, dict[str, Path]]]:
    """Results files by date, and sample logs by task then date."""
    results: dict[str, Path] = {}
    samples: dict[str, dict[str, Path]] = {}
    for f in sorted(folder.iterdir()):
        if not f.is_file():
            continue
        if m := SAMPLES_RE.match(f.name):
            samples.setdefault(m["task"], {})[m["date"]] = f
        elif m := RESULTS_RE.match(f.name):
            results[m["date"]] = f
    return results, samples


def _section(data: dict, key: str, path: Path) -> dict:
    """A per-task section of a results file (``n-samples``, ``configs``, ``versions``)."""
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DataError(
            f"expected an object (task -> ...), got {type(value).__name__}", file=path, field=key
        )
    return value


def _count(counts: dict, key: str, path: Path, where: str) -> int | None:
    value = counts.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DataError(f"expected a count, got {value!r}", file=path, field=f"{where}.{key}")
    return value


def _task_row(task: str, date: str, path: Path, data: dict) -> TaskOutput:
    """One task's row of a results file: headline score, version, counts, config."""
    spec = spec_for(task)
    metrics = data["results"][task]
    score = metrics.get(spec.result_key) if isinstance(metrics, dict) else None
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise DataError(
            f"missing or not a finite number (got {score!r})",
            file=path,
            field=f"results.{task}.{spec.result_key}",
        )
    counts = _section(data, "n-samples", path).get(task) or {}
    if not isinstance(counts, dict):
        raise DataError(
            f"expected an object with effective and original, got {counts!r}",
            file=path,
            field=f"n-samples.{task}",
        )
    config = _section(data, "configs", path).get(task)
    if config is not None and not isinstance(config, dict):
        raise DataError("expected an object", file=path, field=f"configs.{task}")
    return TaskOutput(
        task=task,
        date=date,
        score=float(score),
        version=_section(data, "versions", path).get(task),
        n_effective=_count(counts, "effective", path, f"n-samples.{task}"),
        n_original=_count(counts, "original", path, f"n-samples.{task}"),
        config=config or {},
        metrics={
            str(k): float(v)
            for k, v in metrics.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        },
        results_file=path,
    )


def _read_results_files(
    run: RunOutput, results: dict[str, Path]
) -> dict[str, dict[str, TaskOutput]]:
    """Rows of every results file (later dates last), checking they name one model."""
    rows: dict[str, dict[str, TaskOutput]] = {}  # task -> date -> row
    for date in sorted(results):
        path = results[date]
        data = read_json_object(path, "lm-eval results file")
        if not isinstance(data.get("results"), dict):
            raise DataError("missing or not an object", file=path, field="results")
        name = model_name_from_results(data)
        if name and run.model_name and name != run.model_name:
            raise DataError(
                f"folder mixes models {run.model_name!r} and {name!r}",
                file=path,
                field="model_name",
            )
        config = data.get("config") or {}
        if not isinstance(config, dict):
            raise DataError(
                f"expected an object, got {type(config).__name__}", file=path, field="config"
            )
        run.model_name = run.model_name or name or ""
        run.model_args, run.limit = config.get("model_args"), config.get("limit")
        run.lm_eval_version = data.get("lm_eval_version") or run.lm_eval_version
        for task in sorted(data["results"]):
            if task in BY_TASK or french_task(task):
                rows.setdefault(task, {})[date] = _task_row(task, date, path, data)
    return rows


def read_run(
    folder: str | Path,
    *,
    tasks: Sequence[str] | None = None,
    samples: bool = True,
    cluster: bool = True,
    lenient: bool = False,
    warn: Warn | None = None,
    twins: bool = False,
) -> RunOutput:
    """Read one model folder: per medfr task, its latest results row and sample log.

    Several results files in one folder (runs split by task) are merged, the
    latest date winning per task; the sample log of that date goes with it.
    ``samples=False`` reads the results files only (fast: scores and configs).
    ``twins`` also reads the English twins of the translated sets into
    ``run.twins``. The run card (``medfr-train``'s ``run_card.json``) is read when
    found beside the results or in the model's folder. Other tasks are skipped
    with a note."""
    folder = Path(folder)
    results, logs = _scan(folder)
    run = RunOutput(folder=folder, model_name="")
    rows = _read_results_files(run, results)
    if not run.model_name:
        run.model_name = folder.name
        run.notes.append(f"{folder}: no results file names the model; using the folder name")
    run.run_card_path = find_run_card(folder, run.model_args)
    if run.run_card_path is not None:
        run.run_card = read_json_object(run.run_card_path, "run card")
    skipped = sorted(t for t in logs if t not in BY_TASK and not (twins and french_task(t)))
    if skipped:
        run.notes.append(f"{folder}: not medfr sets, skipped: {', '.join(skipped)}")
    order = [s.task for s in ALL_SETS]  # the study's sets, then the public extras
    found = {t for t in (*rows, *logs) if t in BY_TASK and (tasks is None or t in tasks)}
    for task in sorted(found, key=order.index):
        run.tasks[task] = _task_output(task, folder, rows, logs, run.notes, samples,
                                       cluster=cluster, lenient=lenient, warn=warn)  # fmt: skip
    if twins:
        for task in sorted(t for t in {*rows, *logs} if french_task(t)):
            if task in run.tasks:  # a set of the table: already read above
                run.twins[task] = run.tasks[task]
            elif tasks is None or french_task(task) in tasks:
                run.twins[task] = _task_output(task, folder, rows, logs, run.notes, samples,
                                               cluster=cluster, lenient=lenient, warn=warn)  # fmt: skip
    return run


def _task_output(
    task: str,
    folder: Path,
    rows: dict[str, dict[str, TaskOutput]],
    logs: dict[str, dict[str, Path]],
    notes: list[str],
    samples: bool,
    **read: Any,
) -> TaskOutput:
    """The latest results row of ``task`` with the sample log of the same date."""
    dates = sorted({*rows.get(task, {}), *logs.get(task, {})})
    date = dates[-1]
    if len(dates) > 1:
        notes.append(f"{folder}: {len(dates)} runs of {task}; using the latest ({date})")
    out = rows.get(task, {}).get(date) or TaskOutput(task=task, date=date)
    out.samples_file = logs.get(task, {}).get(date)
    if samples and out.samples_file is not None:
        out.log = read_sample_log(out.samples_file, task, expected_n=out.n_effective, **read)
    return out


def family_means(scores: dict[str, float], *, complete_only: bool = False) -> dict[str, float]:
    """Unweighted mean of each family's sets, as lm-eval's groups (``weight_by_size: false``).

    ``scores`` is keyed by task; ``complete_only`` keeps the families all of whose
    sets are present (the board's rule), else any present set counts (the demo's)."""
    out: dict[str, float] = {}
    for fam in ALL_FAMILIES:
        members = [s.task for s in ALL_SETS if s.family == fam]
        have = [scores[t] for t in members if t in scores]
        if have and (not complete_only or len(have) == len(members)):
            out[fam] = sum(have) / len(have)
    return out


def headline_scores(path: str | Path) -> HeadlineScores:
    """Per-set headline scores and family means of the one model under ``path``.

    Reads the results files only, so it is fast and needs no sample log."""
    folders = find_model_folders(path)
    if len(folders) != 1:
        raise DataError(f"expected the results of one model, found {len(folders)}", file=path)
    run = read_run(folders[0], samples=False)
    scores = run.scores
    return HeadlineScores(
        model_name=run.model_name,
        sets={BY_TASK[t].name: v for t, v in scores.items()},
        families=family_means(scores),
        complete=list(family_means(scores, complete_only=True)),
    )
