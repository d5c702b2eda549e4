"""The one reader of lm-eval output folders, shared by ``medfr-signif``, the board and the demo.

``lm_eval ... --output_path OUT --log_samples`` writes, per model,
``OUT/<model_name_sanitized>/results_<date>.json`` and one
``samples_<task>_<date>.jsonl`` per task (lm_eval/loggers/evaluation_tracker.py).
Each sample line holds ``doc_id``, the ``doc``, the ``arguments`` sent to the
model, the ``filter`` it was scored under, the per-item metric values under their
own keys and three sha256 hashes (``doc_hash``, ``prompt_hash``, ``target_hash``;
lm_eval/evaluator.py).

Why our own reader: lm-eval has none for its own logs (they are written for the
Hub viewer), and importing lm-eval would pull torch into the board. One reader
means significance and the board accept and refuse the same folders, and an
lm-eval format change is fixed once. Everything here is plain JSON and numpy;
policy (what a submission must show, which pairs to compare) stays with the
callers. Errors are :class:`~medfr_eval.errors.DataError` naming file, line and
field.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from medfr_eval.errors import DataError
from medfr_eval.sets import BY_TASK, FAMILIES, SETS

#: Sets whose items are not independent, and the doc field that groups them.
CLUSTER_KEYS: dict[str, str] = {"medfr_frclinicalqa": "case_id"}

# lm-eval's date_id is datetime.now().isoformat() with ":" replaced by "-"; ISO
# strings of one format sort in time order.
_DATE = r"(?P<date>\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)"
SAMPLES_RE = re.compile(rf"^samples_(?P<task>.+)_{_DATE}\.jsonl$")
RESULTS_RE = re.compile(rf"^results_{_DATE}\.json$")
_HASH_KEYS = ("doc_hash", "prompt_hash", "target_hash")

Warn = Callable[[str], None]


def _ignore(message: str) -> None:
    pass


# --------------------------------------------------------------------------- data


@dataclass
class SampleLog:
    """One model's per-item scores on one set, read from one sample log, in doc_id order."""

    task: str
    path: Path
    metric: str
    filter: str
    doc_ids: np.ndarray
    values: np.ndarray
    doc_hashes: list[str | None]
    prompt_hashes: list[str | None]
    target_hashes: list[str | None]
    clusters: list[str] | None = None
    prompt_example: str | None = None  # the prompt of the lowest doc_id, as sent
    n_logged: int = 0  # records under the chosen filter, readable or not

    @property
    def n(self) -> int:
        return int(self.doc_ids.size)

    @property
    def prompt_digest(self) -> str | None:
        """One sha256 over the (doc_id, prompt_hash) pairs; None if a hash is missing.

        Two honest runs of the same task files on the same items give the same
        digest whatever the model (its outputs do not enter a prompt hash)."""
        if any(h is None for h in self.prompt_hashes):
            return None
        h = hashlib.sha256()
        for doc_id, ph in zip(self.doc_ids.tolist(), self.prompt_hashes, strict=True):
            h.update(f"{doc_id}\t{ph}\n".encode())
        return h.hexdigest()


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
    if not isinstance(data, dict):
        raise DataError(f"{what}: expected a JSON object", file=path)
    return data


def model_name_from_results(results: dict) -> str | None:
    """``model_name`` as lm-eval's tracker records it, else ``pretrained`` from the model args."""
    name = results.get("model_name")
    if isinstance(name, str) and name:
        return name
    args = (results.get("config") or {}).get("model_args")
    if isinstance(args, dict):
        pre = args.get("pretrained") or args.get("model")
        return str(pre) if pre else None
    if isinstance(args, str):
        for part in args.split(","):
            key, _, value = part.partition("=")
            if key.strip() in ("pretrained", "model") and value.strip():
                return value.strip()
    return None


def model_args_paths(model_args: Any) -> list[str]:
    """The local paths a run's ``model_args`` names (peft, pretrained), in that order."""
    keys = ("peft", "pretrained")
    if isinstance(model_args, dict):
        return [str(model_args[k]) for k in keys if model_args.get(k)]
    found = []
    if isinstance(model_args, str):
        for part in model_args.split(","):
            key, _, value = part.partition("=")
            if key.strip() in keys and value.strip():
                found.append(value.strip())
    return found


# --------------------------------------------------------------------------- sample logs


class _Problems:
    """Item-level problems: raised (strict) or warned about and the item dropped (lenient)."""

    def __init__(self, path: Path, lenient: bool, warn: Warn) -> None:
        self.path, self.lenient, self.warn = path, lenient, warn

    def __call__(self, message: str, line: int | None = None, fld: str | None = None) -> None:
        err = DataError(message, file=self.path, line=line, field=fld)
        if not self.lenient:
            raise err
        self.warn(f"{err} (--lenient: item dropped)")


def _records_by_filter(path: Path, problem: _Problems) -> dict[str, list[tuple[int, dict]]]:
    """Every JSON line of a sample log, grouped by the filter it was scored under."""
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as e:
        raise DataError(f"cannot read sample log: {e.strerror}", file=path) from None
    lines = text.split("\n")
    by_filter: dict[str, list[tuple[int, dict]]] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            last = lineno == len(lines) and not text.endswith("\n")
            problem(
                "truncated JSONL: last line is incomplete" if last else f"not valid JSON ({e.msg})",
                lineno,
            )
            continue
        if not isinstance(rec, dict):
            problem("expected a JSON object", lineno)
            continue
        by_filter.setdefault(str(rec.get("filter", "none")), []).append((lineno, rec))
    if not by_filter:
        raise DataError("empty sample log: no samples", file=path)
    return by_filter


def logged_prompt(rec: dict) -> str | None:
    """The first request's prompt as logged (``arguments.gen_args_0.arg_0``), if a string.

    lm-eval hashes ``requests[0].arguments[0]`` into ``prompt_hash``; older
    trackers logged ``arguments`` as a list of argument lists."""
    args = rec.get("arguments")
    if isinstance(args, dict):
        first = args.get("gen_args_0")
        prompt = first.get("arg_0") if isinstance(first, dict) else None
    elif isinstance(args, list) and args and isinstance(args[0], list) and args[0]:
        prompt = args[0][0]
    else:
        prompt = None
    return prompt if isinstance(prompt, str) else None


def _item_value(rec: dict, metric: str, lineno: int, problem: _Problems) -> float | None:
    if metric not in rec:
        problem(
            f"metric {metric!r} missing from the sample (has: {rec.get('metrics')})", lineno, metric
        )
        return None
    value = rec[metric]
    if isinstance(value, bool):
        value = float(value)
    if not isinstance(value, int | float) or not np.isfinite(value):
        problem(f"expected a finite number, got {value!r}", lineno, metric)
        return None
    return float(value)


def _item_prompt_ok(rec: dict, lineno: int, problem: _Problems) -> bool:
    """Recompute the prompt hash from the logged prompt: an edited prompt is caught."""
    prompt, logged = logged_prompt(rec), rec.get("prompt_hash")
    if prompt is None or not isinstance(logged, str):
        return True
    if hashlib.sha256(prompt.encode("utf-8")).hexdigest() == logged:
        return True
    problem(
        "does not match the sha256 of the logged prompt (arguments.gen_args_0.arg_0): "
        "the log was edited",
        lineno,
        "prompt_hash",
    )
    return False


def _item_cluster(rec: dict, key: str, task: str, lineno: int, problem: _Problems) -> str | None:
    doc = rec.get("doc")
    label = doc.get(key) if isinstance(doc, dict) else None
    if label is None or label == "":
        problem(
            f"cluster key missing (the cluster bootstrap of {task} needs it; "
            "--no-cluster resamples items)",
            lineno,
            f"doc.{key}",
        )
        return None
    return str(label)


def _choose_filter(by_filter: dict, wanted: str, path: Path, warn: Warn) -> str:
    if wanted in by_filter:
        return wanted
    if len(by_filter) == 1:
        chosen = next(iter(by_filter))
        warn(f"{path}: filter {wanted!r} not found, using the only one logged, {chosen!r}")
        return chosen
    raise DataError(
        f"no samples under filter {wanted!r}; logged filters: {sorted(by_filter)}",
        file=path,
        field="filter",
    )


def read_sample_log(
    path: str | Path,
    task: str,
    *,
    expected_n: int | None = None,
    cluster: bool = True,
    lenient: bool = False,
    warn: Warn | None = None,
) -> SampleLog:
    """Read one ``samples_<task>_<date>.jsonl`` into per-item scores, sorted by doc_id.

    The set's headline metric and filter come from :mod:`medfr_eval.sets`.
    ``expected_n`` (the results file's ``n-samples.effective``) catches a log cut
    at a line boundary. Strict by default: any problem raises DataError;
    ``lenient`` turns item-level problems into ``warn`` calls and drops the items.
    """
    path, warn = Path(path), warn or _ignore
    spec = BY_TASK.get(task)
    if spec is None:
        raise DataError(f"{task!r} is not a medfr set", file=path, field="task")
    problem = _Problems(path, lenient, warn)
    by_filter = _records_by_filter(path, problem)
    chosen = _choose_filter(by_filter, spec.filter, path, warn)
    cluster_key = CLUSTER_KEYS.get(task) if cluster else None
    items: dict[int, tuple] = {}  # doc_id -> (value, hashes, cluster, prompt)
    seen: dict[int, int] = {}
    for lineno, rec in by_filter[chosen]:
        doc_id = rec.get("doc_id")
        if isinstance(doc_id, bool) or not isinstance(doc_id, int):
            problem("missing or not an integer", lineno, "doc_id")
            continue
        if doc_id in seen:
            problem(f"doc_id {doc_id} already logged on line {seen[doc_id]}", lineno, "doc_id")
            continue
        value = _item_value(rec, spec.metric, lineno, problem)
        if value is None or not _item_prompt_ok(rec, lineno, problem):
            continue
        label = None
        if cluster_key is not None:
            label = _item_cluster(rec, cluster_key, task, lineno, problem)
            if label is None:
                continue
        seen[doc_id] = lineno
        hashes = tuple(rec.get(k) if isinstance(rec.get(k), str) else None for k in _HASH_KEYS)
        items[doc_id] = (value, hashes, label, logged_prompt(rec))
    if not items:
        raise DataError(f"no usable samples under filter {chosen!r}", file=path)
    n_logged = len(by_filter[chosen])
    if expected_n is not None and n_logged != expected_n:
        message = (
            f"{n_logged} samples logged but the results file counts {expected_n}: "
            "truncated or appended log"
        )
        if not lenient:
            raise DataError(message, file=path, field="n-samples")
        warn(f"{path}: {message} (--lenient: using the {len(items)} readable samples)")
    ids = sorted(items)
    rows = [items[i] for i in ids]
    return SampleLog(
        task=task,
        path=path,
        metric=spec.metric,
        filter=chosen,
        doc_ids=np.asarray(ids, dtype=np.int64),
        values=np.asarray([r[0] for r in rows], dtype=np.float64),
        doc_hashes=[r[1][0] for r in rows],
        prompt_hashes=[r[1][1] for r in rows],
        target_hashes=[r[1][2] for r in rows],
        clusters=[r[2] for r in rows] if cluster_key is not None else None,
        prompt_example=rows[0][3],
        n_logged=n_logged,
    )


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


def _task_row(task: str, date: str, path: Path, data: dict) -> TaskOutput:
    """One task's row of a results file: headline score, version, counts, config."""
    spec = BY_TASK[task]
    metrics = data["results"][task]
    score = metrics.get(spec.result_key) if isinstance(metrics, dict) else None
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise DataError(
            f"missing or not a number (got {score!r})",
            file=path,
            field=f"results.{task}.{spec.result_key}",
        )
    counts = (data.get("n-samples") or {}).get(task) or {}
    config = (data.get("configs") or {}).get(task)
    n_eff, n_orig = counts.get("effective"), counts.get("original")
    return TaskOutput(
        task=task,
        date=date,
        score=float(score),
        version=(data.get("versions") or {}).get(task),
        n_effective=n_eff if isinstance(n_eff, int) else None,
        n_original=n_orig if isinstance(n_orig, int) else None,
        config=config if isinstance(config, dict) else {},
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
        run.model_name = run.model_name or name or ""
        run.model_args, run.limit = config.get("model_args"), config.get("limit")
        run.lm_eval_version = data.get("lm_eval_version") or run.lm_eval_version
        for task in sorted(data["results"]):
            if task in BY_TASK:
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
) -> RunOutput:
    """Read one model folder: per medfr task, its latest results row and sample log.

    Several results files in one folder (runs split by task) are merged, the
    latest date winning per task; the sample log of that date goes with it.
    ``samples=False`` reads the results files only (fast: scores and configs).
    Tasks that are not medfr sets are skipped with a note."""
    folder = Path(folder)
    results, logs = _scan(folder)
    run = RunOutput(folder=folder, model_name="")
    rows = _read_results_files(run, results)
    if not run.model_name:
        run.model_name = folder.name
        run.notes.append(f"{folder}: no results file names the model; using the folder name")
    skipped = sorted(t for t in logs if t not in BY_TASK)
    if skipped:
        run.notes.append(f"{folder}: not medfr sets, skipped: {', '.join(skipped)}")
    order = [s.task for s in SETS]
    found = {t for t in (*rows, *logs) if t in BY_TASK and (tasks is None or t in tasks)}
    for task in sorted(found, key=order.index):
        dates = sorted({*rows.get(task, {}), *logs.get(task, {})})
        date = dates[-1]
        if len(dates) > 1:
            run.notes.append(f"{folder}: {len(dates)} runs of {task}; using the latest ({date})")
        out = rows.get(task, {}).get(date) or TaskOutput(task=task, date=date)
        out.samples_file = logs.get(task, {}).get(date)
        if samples and out.samples_file is not None:
            out.log = read_sample_log(
                out.samples_file,
                task,
                expected_n=out.n_effective,
                cluster=cluster,
                lenient=lenient,
                warn=warn,
            )
        run.tasks[task] = out
    return run


def family_means(scores: dict[str, float], *, complete_only: bool = False) -> dict[str, float]:
    """Unweighted mean of each family's sets, as lm-eval's groups (``weight_by_size: false``).

    ``scores`` is keyed by task; ``complete_only`` keeps the families all of whose
    sets are present (the board's rule), else any present set counts (the demo's)."""
    out: dict[str, float] = {}
    for fam in FAMILIES:
        members = [s.task for s in SETS if s.family == fam]
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
