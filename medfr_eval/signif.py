"""Significance of model differences from lm-eval sample logs, as the study tests them.

``lm_eval ... --log_samples --output_path OUT`` writes, per model,
``OUT/<model_name_sanitized>/results_<date>.json`` and one
``samples_<task>_<date>.jsonl`` per task (lm_eval/loggers/evaluation_tracker.py);
each sample line holds ``doc_id``, the ``doc``, the ``filter`` it was scored
under, the per-item metric values under their own keys and three hashes
(``doc_hash``, ``prompt_hash``, ``target_hash``; lm_eval/evaluator.py). This
module reads those folders, pairs two models' items by ``doc_id`` (checking that
both saw the same documents, prompts and targets), runs the paired bootstrap of
:mod:`medfr_eval.bootstrap` for every (pair of models, set), corrects for the
number of comparisons, and writes the study's win / tie / loss tables.

lm-eval has no reader for its own sample logs (they are written for the Hub
viewer), hence the parser here. No torch, no lm-eval import: the leaderboard
imports this module's JSON and runs without a GPU stack.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from medfr_eval import bootstrap as bs
from medfr_eval.errors import DataError
from medfr_eval.fileio import read_yaml
from medfr_eval.sets import BY_TASK, FAMILIES, SETS

SCHEMA_VERSION = 1
FAMILY_ORDER: tuple[str, ...] = ("all", "mcq_translated", "mcq_native", "openqa")
FAMILY_LABELS: dict[str, str] = {"all": "Tous les jeux", **FAMILIES}
#: Sets whose items are not independent, and the doc field that groups them.
CLUSTER_KEYS: dict[str, str] = {"medfr_frclinicalqa": "case_id"}
OUTPUT_FILES: tuple[str, ...] = (
    "signif.json",
    "signif.csv",
    "signif.md",
    "signif_wtl.png",
    "signif_wtl.svg",
)

# lm-eval's date_id is datetime.now().isoformat() with ":" replaced by "-"; ISO
# strings of one format sort in time order.
_DATE = r"(?P<date>\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)"
_SAMPLES_RE = re.compile(rf"^samples_(?P<task>.+)_{_DATE}\.jsonl$")
_RESULTS_RE = re.compile(rf"^(?!samples_)(?P<stem>.+)_{_DATE}\.json$")

Track = Callable[[Iterable[Any], str, int], Iterable[Any]]


def _no_track(items: Iterable[Any], description: str, total: int) -> Iterable[Any]:
    return items


class SignifError(DataError):
    """Bad runs or options: names the file (and line, field) that is wrong."""


# --------------------------------------------------------------------------- reading


@dataclass
class TaskLog:
    """One model's per-item scores on one set, read from one sample log."""

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

    @property
    def n(self) -> int:
        return int(self.doc_ids.size)


@dataclass
class Run:
    """One model's lm-eval output folder."""

    name: str
    folder: Path
    model_name: str
    tasks: dict[str, TaskLog]
    notes: list[str] = field(default_factory=list)

    @property
    def short_name(self) -> str:
        return self.name.rstrip("/").rsplit("/", 1)[-1]


def _model_name_from_results(results: dict) -> str | None:
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


def _load_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise SignifError(f"not valid JSON ({e.msg})", file=path, line=e.lineno) from None
    except OSError as e:
        raise SignifError(f"cannot read: {e.strerror}", file=path) from None
    if not isinstance(data, dict):
        raise SignifError("expected a JSON object", file=path)
    return data


def read_sample_log(
    path: str | Path,
    task: str,
    *,
    expected_n: int | None = None,
    cluster: bool = True,
    lenient: bool = False,
    warn: Callable[[str], None] | None = None,
) -> TaskLog:
    """Read one ``samples_<task>_<date>.jsonl`` into per-item scores.

    The set's headline metric and filter come from :mod:`medfr_eval.sets`.
    ``expected_n`` (the results file's ``n-samples.effective``) catches a log cut
    at a line boundary. Strict by default: any problem raises :class:`SignifError`;
    ``lenient`` turns item-level problems into ``warn`` calls and drops the items.
    """
    path = Path(path)
    spec = BY_TASK.get(task)
    if spec is None:
        raise SignifError(f"{task!r} is not a medfr set", file=path, field="task")
    warn = warn or (lambda message: None)

    def problem(message: str, line: int | None = None, fld: str | None = None) -> None:
        err = SignifError(message, file=path, line=line, field=fld)
        if not lenient:
            raise err
        warn(f"{err} (--lenient: item dropped)")

    try:
        raw = path.read_bytes()
    except OSError as e:
        raise SignifError(f"cannot read: {e.strerror}", file=path) from None
    text = raw.decode("utf-8", errors="replace")
    lines = text.split("\n")
    ends_clean = text.endswith("\n")
    by_filter: dict[str, list[tuple[int, dict]]] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            last = lineno == len(lines) and not ends_clean
            what = (
                "truncated JSONL: last line is incomplete" if last else f"not valid JSON ({e.msg})"
            )
            problem(what, lineno)
            continue
        if not isinstance(rec, dict):
            problem("expected a JSON object", lineno)
            continue
        by_filter.setdefault(str(rec.get("filter", "none")), []).append((lineno, rec))
    if not by_filter:
        raise SignifError("empty sample log: no samples", file=path)

    if spec.filter in by_filter:
        chosen = spec.filter
    elif len(by_filter) == 1:
        chosen = next(iter(by_filter))
        warn(f"{path}: filter {spec.filter!r} not found, using the only one logged, {chosen!r}")
    else:
        raise SignifError(
            f"no samples under filter {spec.filter!r}; logged filters: {sorted(by_filter)}",
            file=path,
            field="filter",
        )

    cluster_key = CLUSTER_KEYS.get(task) if cluster else None
    ids: list[int] = []
    values: list[float] = []
    hashes: tuple[list, list, list] = ([], [], [])
    clusters: list[str] = []
    seen: dict[int, int] = {}
    for lineno, rec in by_filter[chosen]:
        doc_id = rec.get("doc_id")
        if isinstance(doc_id, bool) or not isinstance(doc_id, int):
            problem("missing or not an integer", lineno, "doc_id")
            continue
        if doc_id in seen:
            problem(f"doc_id {doc_id} already logged on line {seen[doc_id]}", lineno, "doc_id")
            continue
        if spec.metric not in rec:
            problem(
                f"metric {spec.metric!r} missing from the sample (has: {rec.get('metrics')})",
                lineno,
                spec.metric,
            )
            continue
        value = rec[spec.metric]
        if isinstance(value, bool):
            value = float(value)
        if not isinstance(value, int | float) or not np.isfinite(value):
            problem(f"expected a finite number, got {value!r}", lineno, spec.metric)
            continue
        label = None
        if cluster_key is not None:
            doc = rec.get("doc")
            label = doc.get(cluster_key) if isinstance(doc, dict) else None
            if label is None or label == "":
                problem(
                    f"cluster key missing (the cluster bootstrap of {task} needs it; "
                    "--no-cluster resamples items)",
                    lineno,
                    f"doc.{cluster_key}",
                )
                continue
        seen[doc_id] = lineno
        ids.append(doc_id)
        values.append(float(value))
        for store, key in zip(hashes, ("doc_hash", "prompt_hash", "target_hash"), strict=True):
            h = rec.get(key)
            store.append(h if isinstance(h, str) else None)
        if label is not None:
            clusters.append(str(label))
    if not ids:
        raise SignifError(f"no usable samples under filter {chosen!r}", file=path)
    if expected_n is not None and len(by_filter[chosen]) != expected_n:
        message = (
            f"{len(by_filter[chosen])} samples logged but the results file counts {expected_n}: "
            "truncated or appended log"
        )
        if not lenient:
            raise SignifError(message, file=path)
        warn(f"{path}: {message} (--lenient: using the {len(ids)} readable samples)")
    return TaskLog(
        task=task,
        path=path,
        metric=spec.metric,
        filter=chosen,
        doc_ids=np.asarray(ids, dtype=np.int64),
        values=np.asarray(values, dtype=np.float64),
        doc_hashes=hashes[0],
        prompt_hashes=hashes[1],
        target_hashes=hashes[2],
        clusters=clusters if cluster_key is not None else None,
    )


def _has_logs(folder: Path) -> bool:
    return any(_SAMPLES_RE.match(p.name) for p in folder.iterdir() if p.is_file())


def find_run_folders(path: str | Path) -> list[Path]:
    """Model folders under one command-line path: the ``--output_path`` of one or
    more ``lm_eval`` runs (one sub-folder per model), a model folder, or a file in one."""
    p = Path(path)
    if not p.exists():
        raise SignifError("no such file or folder", file=p)
    if p.is_file():
        if _SAMPLES_RE.match(p.name) or _RESULTS_RE.match(p.name):
            p = p.parent
        else:
            raise SignifError("not an lm-eval results or samples file", file=p)
    if _has_logs(p):
        return [p]
    subs = sorted(d for d in p.iterdir() if d.is_dir() and _has_logs(d))
    if subs:
        return subs
    has_results = any(_RESULTS_RE.match(f.name) for f in p.rglob("*.json"))
    hint = " (results only: rerun lm_eval with --log_samples)" if has_results else ""
    raise SignifError(f"no lm-eval sample logs (samples_<task>_<date>.jsonl) found{hint}", file=p)


def load_run(
    folder: str | Path,
    *,
    name: str | None = None,
    tasks: Sequence[str] | None = None,
    cluster: bool = True,
    lenient: bool = False,
    warn: Callable[[str], None] | None = None,
) -> Run:
    """Read one model folder: the latest sample log of each medfr task in it."""
    folder = Path(folder)
    warn = warn or (lambda message: None)
    notes: list[str] = []
    by_task: dict[str, list[tuple[str, Path]]] = {}
    results: dict[str, Path] = {}
    for f in sorted(folder.iterdir()):
        if not f.is_file():
            continue
        if m := _SAMPLES_RE.match(f.name):
            by_task.setdefault(m["task"], []).append((m["date"], f))
        elif m := _RESULTS_RE.match(f.name):
            results[m["date"]] = f
    skipped = sorted(t for t in by_task if t not in BY_TASK)
    if skipped:
        notes.append(f"{folder}: not medfr sets, skipped: {', '.join(skipped)}")
    wanted = [t for t in by_task if t in BY_TASK and (tasks is None or t in tasks)]
    if not wanted:
        raise SignifError(
            "no sample log of a medfr set"
            + (f" among {', '.join(tasks)}" if tasks is not None else ""),
            file=folder,
        )
    loaded: dict[str, TaskLog] = {}
    model_name: str | None = None
    for task in sorted(wanted, key=lambda t: [s.task for s in SETS].index(t)):
        dated = sorted(by_task[task])
        date, path = dated[-1]
        if len(dated) > 1:
            notes.append(
                f"{folder}: {len(dated)} sample logs for {task}; using the latest ({date})"
            )
        expected = None
        res_path = results.get(date)
        if res_path is not None:
            res = _load_json(res_path)
            model_name = model_name or _model_name_from_results(res)
            n_samples = (res.get("n-samples") or {}).get(task) or {}
            eff = n_samples.get("effective")
            expected = int(eff) if isinstance(eff, int) else None
        loaded[task] = read_sample_log(
            path, task, expected_n=expected, cluster=cluster, lenient=lenient, warn=warn
        )
    if model_name is None:
        for date in sorted(results, reverse=True):
            model_name = _model_name_from_results(_load_json(results[date]))
            if model_name:
                break
    if model_name is None:
        model_name = folder.name
        notes.append(f"{folder}: no results file names the model; using the folder name")
    return Run(
        name=name or model_name, folder=folder, model_name=model_name, tasks=loaded, notes=notes
    )


def load_runs(
    paths: Sequence[str | Path],
    *,
    names: dict[str, str] | None = None,
    tasks: Sequence[str] | None = None,
    cluster: bool = True,
    lenient: bool = False,
    warn: Callable[[str], None] | None = None,
    track: Track = _no_track,
) -> list[Run]:
    """Read every model folder under ``paths``.

    ``names`` overrides display names: a key is a run folder (or a path given on
    the command line that holds one model), or a model name from the results files.
    """
    if not paths:
        raise SignifError("no runs given", field="RUNS")
    if tasks is not None:
        for t in tasks:
            if t not in BY_TASK:
                raise SignifError(f"unknown medfr task {t!r}", field="--tasks")
    folders: list[tuple[Path, Path]] = []  # (given path, model folder)
    for p in paths:
        for f in find_run_folders(p):
            if all(f.resolve() != g.resolve() for _, g in folders):
                folders.append((Path(p), f))
    runs: list[Run] = []
    for _, folder in track(folders, "Lecture des journaux", len(folders)):
        runs.append(load_run(folder, tasks=tasks, cluster=cluster, lenient=lenient, warn=warn))
    overrides = dict(names or {})
    for key, new in overrides.items():
        hits = [r for r in runs if _override_matches(key, r, folders)]
        if not hits:
            known = ", ".join(f"{r.folder} ({r.model_name})" for r in runs)
            raise SignifError(f"matches no run; runs: {known}", field=f"--name {key}")
        if len(hits) > 1:
            raise SignifError(
                f"matches {len(hits)} runs; name a model folder instead", field=f"--name {key}"
            )
        hits[0].name = new
    seen: dict[str, Run] = {}
    for r in runs:
        if r.name in seen:
            raise SignifError(
                f"two runs are named {r.name!r} ({seen[r.name].folder} and {r.folder}); "
                "tell them apart with --name RUN_DIR=NAME",
                file=r.folder,
                field="model_name",
            )
        seen[r.name] = r
    return runs


def _override_matches(key: str, run: Run, folders: list[tuple[Path, Path]]) -> bool:
    """A ``--name`` key names a run by model name, by its folder, or by the path
    given on the command line when that path holds this one model only."""
    if key in (run.model_name, run.name):
        return True
    kp = Path(key)
    if not kp.exists():
        return False
    kr = kp.resolve()
    if kr == run.folder.resolve():
        return True
    under_key = [f for g, f in folders if g.resolve() == kr]
    return len(under_key) == 1 and under_key[0].resolve() == run.folder.resolve()


# --------------------------------------------------------------------------- pairs


@dataclass(frozen=True)
class Pair:
    """One comparison of two models: ``model_a`` is the side decisions are read from."""

    model_a: str
    model_b: str
    id: str | None = None
    label: str | None = None

    def title(self) -> str:
        head = f"{self.id}. " if self.id else ""
        return f"{head}{_short(self.model_a)} vs {_short(self.model_b)}"


_PAIR_KEYS = {"id", "model_a", "model_b", "label", "group", "strategy"}
_PAIRS_FILE_KEYS = {"description", "pairs"}


def presets_dir() -> Path:
    return Path(__file__).resolve().parent / "presets"


def preset_names() -> list[str]:
    return sorted(p.stem for p in presets_dir().glob("*.yaml"))


def load_pairs(path_or_preset: str | Path) -> list[Pair]:
    """Pairs from a YAML file, or from a shipped preset by name (``study``)."""
    path = Path(path_or_preset)
    if not path.is_file() and str(path_or_preset) in preset_names():
        path = presets_dir() / f"{path_or_preset}.yaml"
    if not path.is_file():
        raise SignifError(
            f"no such pairs file, and not a preset ({', '.join(preset_names())})",
            file=path,
            field="--pairs",
        )
    data = read_yaml(path, error=SignifError)
    if not isinstance(data, dict):
        raise SignifError("expected a mapping with a 'pairs' list", file=path)
    unknown = set(data) - _PAIRS_FILE_KEYS
    if unknown:
        raise SignifError(
            f"unknown key; allowed: {', '.join(sorted(_PAIRS_FILE_KEYS))}",
            file=path,
            field=sorted(unknown)[0],
        )
    items = data.get("pairs")
    if not isinstance(items, list) or not items:
        raise SignifError("expected a non-empty list", file=path, field="pairs")
    pairs: list[Pair] = []
    for i, item in enumerate(items):
        where = f"pairs[{i}]"
        if not isinstance(item, dict):
            raise SignifError("expected a mapping with model_a and model_b", file=path, field=where)
        bad = set(item) - _PAIR_KEYS
        if bad:
            raise SignifError(
                f"unknown key; allowed: {', '.join(sorted(_PAIR_KEYS))}",
                file=path,
                field=f"{where}.{sorted(bad)[0]}",
            )
        for key in ("model_a", "model_b"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise SignifError("expected a model name", file=path, field=f"{where}.{key}")
        if item["model_a"] == item["model_b"]:
            raise SignifError("a model compared with itself", file=path, field=where)
        ident = item.get("id")
        label = item.get("label")
        pairs.append(
            Pair(
                item["model_a"],
                item["model_b"],
                str(ident) if ident is not None else None,
                str(label) if label is not None else None,
            )
        )
    return pairs


def all_pairs(runs: Sequence[Run]) -> list[Pair]:
    """Every unordered pair, in the order the runs were given."""
    return [Pair(a.name, b.name) for i, a in enumerate(runs) for b in runs[i + 1 :]]


def baseline_pairs(runs: Sequence[Run], baseline: str) -> list[Pair]:
    """Every other model against ``baseline`` (decisions from the other model's side)."""
    base = find_run(baseline, runs, field="--baseline")
    return [Pair(r.name, base.name) for r in runs if r is not base]


def find_run(name: str, runs: Sequence[Run], field: str = "model") -> Run:
    """A run by its name, or by the last path part of its name (``org/Model`` -> ``Model``)."""
    for r in runs:
        if r.name == name:
            return r
    short = [r for r in runs if r.short_name == _short(name) or r.short_name == name]
    if len(short) == 1:
        return short[0]
    known = ", ".join(r.name for r in runs)
    why = "is ambiguous" if short else "matches no run"
    raise SignifError(
        f"model {name!r} {why}; runs: {known} (rename with --name RUN_DIR=NAME)", field=field
    )


def _short(name: str) -> str:
    return name.rstrip("/").rsplit("/", 1)[-1]


# --------------------------------------------------------------------------- pairing


def pair_logs(
    la: TaskLog,
    lb: TaskLog,
    *,
    lenient: bool = False,
    check_prompts: bool = True,
    warn: Callable[[str], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str] | None, np.ndarray]:
    """Align two models' logs of one set by ``doc_id``; refuse what cannot be paired.

    Returns both value vectors in increasing doc id order, the cluster labels
    (or None) and the doc ids kept.

    Both logs must cover the same doc ids with the same document, target and
    (unless ``check_prompts`` is off) prompt hashes. With ``lenient`` the
    mismatches are warned about and the comparison runs on the intersection.
    """
    warn = warn or (lambda message: None)
    where = f"{la.path} vs {lb.path}"
    common, sa, sb = np.intersect1d(la.doc_ids, lb.doc_ids, assume_unique=True, return_indices=True)
    if common.size != la.n or common.size != lb.n:
        only_a = np.setdiff1d(la.doc_ids, common).tolist()
        only_b = np.setdiff1d(lb.doc_ids, common).tolist()
        message = (
            f"{la.task}: the logs cover different doc ids ({len(only_a)} only in the first, "
            f"e.g. {only_a[:3]}; {len(only_b)} only in the second, e.g. {only_b[:3]})"
        )
        if not lenient:
            raise SignifError(message, file=where, field="doc_id")
        warn(f"{where}: {message} (--lenient: using the common items)")
    checks = [
        ("doc_hash", la.doc_hashes, lb.doc_hashes),
        ("target_hash", la.target_hashes, lb.target_hashes),
    ]
    if check_prompts:
        checks.append(("prompt_hash", la.prompt_hashes, lb.prompt_hashes))
    bad = np.zeros(common.size, dtype=bool)
    for key, ha, hb in checks:
        xa = [ha[i] for i in sa]
        xb = [hb[i] for i in sb]
        if xa == xb:  # the usual case, checked at C speed
            continue
        diff = [
            k for k, (x, y) in enumerate(zip(xa, xb, strict=True))
            if x is not None and y is not None and x != y
        ]  # fmt: skip
        if diff:
            hint = (
                " (--ignore-prompt-hash if only the chat template differs)"
                if key == "prompt_hash"
                else ""
            )
            message = (
                f"{la.task}: {len(diff)} of {common.size} items differ in {key}, first doc_id "
                f"{int(common[diff[0]])}{hint}"
            )
            if not lenient:
                raise SignifError(message, file=where, field=key)
            warn(f"{where}: {message} (--lenient: those items dropped)")
            bad[diff] = True
    if bad.all():
        raise SignifError(f"{la.task}: no item in common to compare", file=where, field="doc_id")
    keep = common[~bad]
    sa, sb = sa[~bad], sb[~bad]
    clusters = None
    if la.clusters is not None and lb.clusters is not None:
        clusters = [la.clusters[i] for i in sa]
    return la.values[sa], lb.values[sb], clusters, keep


# --------------------------------------------------------------------------- the grid


@dataclass
class Comparison:
    """One (pair, set) row of the report."""

    pair: Pair
    task: str
    metric: str
    n: int
    n_clusters: int
    score_a: float
    score_b: float
    result: bs.BootstrapResult

    @property
    def set(self) -> str:
        return BY_TASK[self.task].name

    @property
    def family(self) -> str:
        return BY_TASK[self.task].family

    def to_json(self) -> dict:
        r = self.result
        return {
            "model_a": self.pair.model_a,
            "model_b": self.pair.model_b,
            "task": self.task,
            "set": self.set,
            "family": self.family,
            "metric": self.metric,
            "n": self.n,
            "score_a": self.score_a,
            "score_b": self.score_b,
            "diff": r.estimate,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "level": r.level,
            "p_value": r.p_value,
            "decision": r.decision,
            "bootstrap": "cluster" if r.kind == "cluster" else "paired",
        }


@dataclass
class Report:
    """Everything ``medfr-signif`` outputs; :meth:`to_json` is the ``signif.json`` schema."""

    method: dict
    models: list[str]
    pairs: list[Pair]
    comparisons: list[Comparison]
    win_rates: list[dict]
    scores: list[dict]
    notes: list[str]
    warnings: list[str]

    def to_json(self) -> dict:
        return {
            "medfr_signif_version": SCHEMA_VERSION,
            "method": self.method,
            "models": self.models,
            "comparisons": [c.to_json() for c in self.comparisons],
            "win_rates": self.win_rates,
            "scores": self.scores,
        }


def win_rates(comparisons: Sequence[Comparison], pairs: Sequence[Pair]) -> list[dict]:
    """Per pair, the share of sets won / tied / lost, over all sets and per family."""
    out = []
    for pair in pairs:
        rows = [c for c in comparisons if c.pair == pair]
        for fam in FAMILY_ORDER:
            sub = [c for c in rows if fam == "all" or c.family == fam]
            if not sub:
                continue
            k = len(sub)
            count = {d: sum(c.result.decision == d for c in sub) for d in ("win", "tie", "loss")}
            out.append(
                {
                    "model_a": pair.model_a,
                    "model_b": pair.model_b,
                    "family": fam,
                    "win": count["win"] / k,
                    "tie": count["tie"] / k,
                    "loss": count["loss"] / k,
                    "n_sets": k,
                }
            )
    return out


def compare(
    runs: Sequence[Run],
    pairs: Sequence[Pair],
    *,
    resamples: int = 10_000,
    alpha: float = 0.05,
    correction: str = "bonferroni",
    seed: int = 0,
    lenient: bool = False,
    check_prompts: bool = True,
    track: Track = _no_track,
    warn: Callable[[str], None] | None = None,
) -> Report:
    """Run the study's test for every (pair, set) and correct over all of them.

    ``m`` is the number of (pair, set) comparisons actually run. A set logged for
    one model of a pair only is an error (``lenient``: a warning, the set is
    skipped for that pair). Each comparison draws from its own generator keyed by
    (seed, models, task), so adding a pair never changes another's interval.
    """
    warnings: list[str] = []

    def _warn(message: str) -> None:
        warnings.append(message)
        if warn is not None:
            warn(message)

    if correction not in bs.CORRECTIONS:
        raise SignifError(
            f"unknown correction; use one of {', '.join(bs.CORRECTIONS)}", field="--correction"
        )
    if resamples < 1:
        raise SignifError("must be at least 1", field="--resamples")
    if not 0.0 < alpha < 1.0:
        raise SignifError("must be in (0, 1)", field="--alpha")

    resolved: list[tuple[Pair, Run, Run]] = []
    seen: set[tuple[str, str]] = set()
    for pair in pairs:
        try:
            ra = find_run(pair.model_a, runs, field="model_a")
            rb = find_run(pair.model_b, runs, field="model_b")
        except SignifError as e:
            if not lenient:
                raise
            _warn(f"{e} (--lenient: pair {pair.title()} skipped)")
            continue
        if ra is rb:
            raise SignifError(f"{pair.title()}: a model compared with itself", field="pairs")
        if (ra.name, rb.name) in seen:
            _warn(f"pair {ra.name} vs {rb.name} listed twice; compared once")
            continue
        seen.add((ra.name, rb.name))
        resolved.append((Pair(ra.name, rb.name, pair.id, pair.label), ra, rb))
    if not resolved:
        raise SignifError("no pair of models to compare", field="pairs")

    order = [s.task for s in SETS]
    jobs: list[tuple[Pair, Run, Run, str]] = []
    for pair, ra, rb in resolved:
        for task in sorted(set(ra.tasks) | set(rb.tasks), key=order.index):
            if task not in ra.tasks or task not in rb.tasks:
                has, lacks = (ra, rb) if task in ra.tasks else (rb, ra)
                message = f"{task} is logged for {has.name} but not for {lacks.name} (folder {lacks.folder})"
                if not lenient:
                    raise SignifError(message, file=has.tasks[task].path, field="task")
                _warn(f"{message} (--lenient: set skipped for this pair)")
                continue
            jobs.append((pair, ra, rb, task))

    # One shared draw of resamples per (set, items): see bs.ResampleIndex.
    indexes: dict[tuple, bs.ResampleIndex | None] = {}

    def index_for(
        task: str, ids: np.ndarray, clusters: list[str] | None
    ) -> bs.ResampleIndex | None:
        key = (task, ids.tobytes(), clusters is not None)
        if key not in indexes:
            fits = bs.ResampleIndex.fits(ids.size, resamples)
            indexes[key] = (
                bs.ResampleIndex(
                    ids.size,
                    resamples=resamples,
                    rng=bs.make_rng(seed, "index", task),
                    clusters=clusters,
                )
                if fits
                else None
            )
        return indexes[key]

    dists: list[bs.BootstrapDistribution] = []
    rows: list[tuple[Pair, str, np.ndarray, np.ndarray]] = []
    for pair, ra, rb, task in track(jobs, "Bootstrap apparié", len(jobs)):
        va, vb, clusters, ids = pair_logs(
            ra.tasks[task], rb.tasks[task], lenient=lenient, check_prompts=check_prompts, warn=_warn
        )
        rng = bs.make_rng(seed, "pair", ra.name, rb.name, task)
        dists.append(
            bs.bootstrap_distribution(
                va,
                vb,
                resamples=resamples,
                seed=rng,
                clusters=clusters,
                index=_lazy(index_for, task, ids, clusters, va - vb),
            )
        )
        rows.append((pair, task, va, vb))
    results = bs.correct(dists, alpha, correction)
    comparisons = [
        Comparison(
            pair=pair,
            task=task,
            metric=BY_TASK[task].metric,
            n=int(va.size),
            n_clusters=d.n_clusters,
            score_a=float(va.mean()),
            score_b=float(vb.mean()),
            result=r,
        )
        for (pair, task, va, vb), d, r in zip(rows, dists, results, strict=True)
    ]

    models: list[str] = []
    for _, ra, rb in resolved:
        for r in (ra, rb):
            if r.name not in models:
                models.append(r.name)
    by_name = {r.name: r for r in runs}
    scores = []
    for name in models:
        for task in sorted(by_name[name].tasks, key=order.index):
            log = by_name[name].tasks[task]
            perm = np.argsort(log.doc_ids, kind="stable")
            values = log.values[perm]
            clusters = [log.clusters[i] for i in perm] if log.clusters is not None else None
            rng = bs.make_rng(seed, "score", name, task)
            dist = bs.bootstrap_distribution(
                values,
                resamples=resamples,
                seed=rng,
                clusters=clusters,
                index=_lazy(index_for, task, log.doc_ids[perm], clusters, values),
            )
            lo, hi = dist.interval(0.95)
            scores.append(
                {"model": name, "task": task, "score": dist.estimate, "ci_low": lo, "ci_high": hi}
            )

    m = len(comparisons)
    notes = _method_notes(m, alpha, correction, resamples, seed, comparisons, runs)
    method = {
        "resamples": resamples,
        "alpha": alpha,
        "correction": correction,
        "m": m,
        "seed": seed,
    }
    pairs_out = [p for p, _, _ in resolved]
    return Report(
        method=method,
        models=models,
        pairs=pairs_out,
        comparisons=comparisons,
        win_rates=win_rates(comparisons, pairs_out),
        scores=scores,
        notes=notes,
        warnings=warnings,
    )


def _lazy(index_for, task, ids, clusters, x) -> bs.ResampleIndex | None:
    """The shared index only where it is used: continuous values (0/1 metrics take
    the multinomial shortcut and need no index matrix)."""
    distinct = np.unique(x).size if clusters is None else bs.MULTINOMIAL_MAX_ATOMS + 1
    if distinct <= bs.MULTINOMIAL_MAX_ATOMS:
        return None
    return index_for(task, ids, clusters)


def _method_notes(
    m: int,
    alpha: float,
    correction: str,
    resamples: int,
    seed: int,
    comparisons: Sequence[Comparison],
    runs: Sequence[Run],
) -> list[str]:
    notes = [
        f"Bootstrap percentile apparié, {resamples} rééchantillonnages, graine {seed}, "
        f"alpha = {alpha:g}, m = {m} comparaisons (paires x jeux)."
    ]
    if correction == "bonferroni":
        notes.append(
            f"Correction de Bonferroni : chaque intervalle au niveau 1 - {alpha:g}/{m} = {1 - alpha / m:.5f}."
        )
    elif correction == "holm":
        notes.append(
            f"Correction de Holm (pas à pas descendant) : la comparaison de rang i (par p croissante) "
            f"est lue au niveau 1 - {alpha:g}/(m - i + 1) ; dès un intervalle contenant 0, les suivantes sont des égalités."
        )
    else:
        notes.append(f"Sans correction : chaque intervalle au niveau {1 - alpha:g}.")
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


# --------------------------------------------------------------------------- writing


def _fmt(x: float, digits: int = 4) -> str:
    return f"{x:.{digits}f}"


def to_csv(report: Report) -> str:
    buf = io.StringIO()
    cols = [
        "pair_id", "model_a", "model_b", "task", "set", "family", "metric", "n", "n_clusters",
        "score_a", "score_b", "diff", "ci_low", "ci_high", "level", "p_value", "decision", "bootstrap",
    ]  # fmt: skip
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for c in report.comparisons:
        row = c.to_json()
        row.update(pair_id=c.pair.id or "", n_clusters=c.n_clusters)
        w.writerow({k: row[k] for k in cols})
    return buf.getvalue()


_DECISION_FR = {"win": "victoire", "tie": "égalité", "loss": "défaite"}


def to_markdown(report: Report) -> str:
    """The study's tables: win/tie/loss rates per family, every comparison, model scores."""
    out = ["# Significativité des écarts (medfr-signif)", ""]
    out += [f"- {n}" for n in report.notes]
    for w in report.warnings:
        out.append(f"- **Avertissement** : {w}")
    fams = [f for f in FAMILY_ORDER if any(w["family"] == f for w in report.win_rates)]
    out += ["", "## Victoires / égalités / défaites par famille de jeux", ""]
    out.append("| comparaison | " + " | ".join(FAMILY_LABELS[f] + " (V/E/D)" for f in fams) + " |")
    out.append("|---|" + "---|" * len(fams))
    for pair in report.pairs:
        cells = []
        for f in fams:
            w = next(
                (x for x in report.win_rates
                 if x["model_a"] == pair.model_a and x["model_b"] == pair.model_b and x["family"] == f),
                None,
            )  # fmt: skip
            cells.append(
                f"{w['win']:.2f} / {w['tie']:.2f} / {w['loss']:.2f} ({w['n_sets']})" if w else "–"
            )
        out.append(f"| {_md(pair.title())} | " + " | ".join(cells) + " |")
    out += ["", "## Détail des comparaisons", ""]
    out.append(
        "| comparaison | jeu | métrique | n | A | B | A - B | intervalle | niveau | p | décision | bootstrap |"
    )
    out.append("|---|---|---|---:|---:|---:|---:|---|---:|---:|---|---|")
    for c in report.comparisons:
        r = c.result
        out.append(
            f"| {_md(c.pair.title())} | {BY_TASK[c.task].title} | {c.metric} | {c.n} | {_fmt(c.score_a)} | "
            f"{_fmt(c.score_b)} | {r.estimate:+.4f} | [{r.ci_low:+.4f}, {r.ci_high:+.4f}] | {r.level:.5f} | "
            f"{r.p_value:.4f} | {_DECISION_FR[r.decision]} | {c.to_json()['bootstrap']} |"
        )
    tasks = [s.task for s in SETS if any(x["task"] == s.task for x in report.scores)]
    out += ["", "## Scores des modèles (intervalle bootstrap percentile à 95 %)", ""]
    out.append("| modèle | " + " | ".join(BY_TASK[t].title for t in tasks) + " |")
    out.append("|---|" + "---|" * len(tasks))
    for model in report.models:
        cells = []
        for t in tasks:
            s = next((x for x in report.scores if x["model"] == model and x["task"] == t), None)
            cells.append(f"{s['score']:.3f} [{s['ci_low']:.3f}, {s['ci_high']:.3f}]" if s else "–")
        out.append(f"| {_md(model)} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


_COLORS = {"win": "#2a9d8f", "tie": "#c8c8c8", "loss": "#e76f51"}


def plot_wtl(report: Report, family: str = "all"):
    """Stacked horizontal bars of win / tie / loss shares per comparison (figure 2a)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    rows = []
    for pair in report.pairs:
        w = next(
            (x for x in report.win_rates
             if x["model_a"] == pair.model_a and x["model_b"] == pair.model_b and x["family"] == family),
            None,
        )  # fmt: skip
        if w:
            rows.append((pair.title(), w))
    fig = Figure(figsize=(10, 0.45 * max(len(rows), 2) + 1.4))
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    left = np.zeros(len(rows))
    for key in ("win", "tie", "loss"):
        vals = np.array([w[key] for _, w in rows])
        ax.barh(y, vals, left=left, color=_COLORS[key], label=_DECISION_FR[key], edgecolor="white")
        for yi, li, v in zip(y, left, vals, strict=True):
            if v >= 0.08:
                ax.text(li + v / 2, yi, f"{v:.0%}", ha="center", va="center", fontsize=8)
        left += vals
    ax.set_yticks(y, [t for t, _ in rows], fontsize=8)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"part des jeux ({FAMILY_LABELS[family].lower()})")
    m = report.method
    ax.set_title(
        f"Victoires / égalités / défaites (m = {m['m']}, correction : {m['correction']})",
        fontsize=10,
    )
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def write_outputs(report: Report, out_dir: str | Path) -> list[Path]:
    """Write JSON, CSV, Markdown, PNG and SVG; every file lands whole or not at all."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SignifError(f"cannot create the output folder: {e.strerror}", file=out) from None
    payload = {
        "signif.json": json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n",
        "signif.csv": to_csv(report),
        "signif.md": to_markdown(report),
    }
    fig = plot_wtl(report)
    tmps: list[tuple[Path, Path]] = []
    try:
        for name in OUTPUT_FILES:
            final = out / name
            tmp = out / f".{name}.tmp"
            if name in payload:
                tmp.write_text(payload[name], encoding="utf-8")
            else:
                fig.savefig(
                    tmp,
                    format=name.rsplit(".", 1)[1],
                    dpi=150,
                    bbox_inches="tight",
                    metadata=_plot_metadata(name),
                )
            tmps.append((tmp, final))
        for tmp, final in tmps:
            os.replace(tmp, final)
    finally:
        for tmp, _ in tmps:
            if tmp.exists():
                tmp.unlink()
    return [out / n for n in OUTPUT_FILES]


def _plot_metadata(name: str) -> dict:
    # Fixed metadata keeps the SVG byte-stable across runs (no creation date).
    return {"Date": None} if name.endswith(".svg") else {}
