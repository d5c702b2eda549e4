"""Read what the board is built from: lm-eval result folders, run cards, signif JSON, entries.

lm-eval 0.4.13 writes ``OUT/<model_sanitized>/results_<date_id>.json`` and, with
``--log_samples``, ``samples_<task>_<date_id>.jsonl`` beside it (see
``lm_eval/loggers/evaluation_tracker.py``). We read those files directly instead of
importing lm-eval: the builder must run without torch, and the file format is all we
need. Several results files in one folder (runs split by task) are merged, later
timestamps winning per task.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from medfr_eval.errors import DataError
from medfr_eval.fileio import read_yaml
from medfr_eval.sets import BY_TASK, EvalSet

RESULTS_RE = re.compile(r"^results_(?P<date>.+)\.json$")
STRATEGIES = ("base", "CPT", "SFT", "CPT+SFT")


@dataclass
class TaskRun:
    """One medfr task of one run, with its sample log read and checked for consistency."""

    task: str
    score: float
    version: Any
    n_effective: int
    n_original: int
    results_file: Path
    samples_file: Path | None
    values: list[float] | None = None  # per-sample headline metric, in doc_id order
    prompt_digest: str | None = None
    prompt_example: str | None = None
    clusters: list[str] | None = None  # cluster label per item, for the interval


@dataclass
class Run:
    """All medfr tasks found for one model in one results folder."""

    folder: Path
    model_name: str
    model_args: Any
    limit: Any
    tasks: dict[str, TaskRun] = field(default_factory=dict)
    run_card: dict | None = None
    run_card_path: Path | None = None
    lm_eval_version: str | None = None


def read_json(path: Path, what: str) -> Any:
    """Load a JSON file, turning every failure into one DataError naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{what} not found", file=path) from None
    except OSError as exc:
        raise DataError(f"cannot read {what}: {exc.strerror}", file=path) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{what} is not valid JSON: {exc.msg}", file=path, line=exc.lineno
        ) from None


def _need(obj: Any, key: str, kind: type | tuple[type, ...], path: Path, where: str = "") -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise DataError("missing", file=path, field=f"{where}{key}")
    value = obj[key]
    if not isinstance(value, kind):
        raise DataError(
            f"expected {getattr(kind, '__name__', kind)}, got {type(value).__name__}",
            file=path,
            field=f"{where}{key}",
        )
    return value


def model_args_paths(model_args: Any) -> list[str]:
    """The local paths a run's ``model_args`` names (pretrained, peft), in lm-eval's order."""
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


def prompt_digest(pairs: list[tuple[int, str]]) -> str:
    """One sha256 over a task's (doc_id, prompt_hash) pairs.

    lm-eval logs a sha256 of each item's prompt; if two runs used the same items and the
    same prompt template, these digests are equal. Sorting by doc_id makes it independent
    of the order in which data-parallel ranks wrote the log.
    """
    h = hashlib.sha256()
    for doc_id, ph in sorted(pairs):
        h.update(f"{doc_id}\t{ph}\n".encode())
    return h.hexdigest()


def read_samples(
    path: Path, spec: EvalSet
) -> tuple[list[float], str, str | None, list[str] | None]:
    """Per-sample headline values, prompt digest, first prompt and clusters of one sample log.

    Clusters are FrClinicalQA's ``doc.case_id`` (questions on one case are not
    independent; medfr-signif resamples whole cases, and so does our interval).
    """
    rows: dict[int, tuple[float, str]] = {}
    cases: dict[int, str] = {}
    example: tuple[int, str] | None = None
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read sample log: {exc.strerror}", file=path) from None
    with handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"not valid JSON: {exc.msg}", file=path, line=lineno) from None
            if not isinstance(obj, dict):
                raise DataError("expected a JSON object", file=path, line=lineno)
            if obj.get("filter") != spec.filter:
                continue  # the same item is logged once per filter; we score one
            for key in ("doc_id", "prompt_hash", spec.metric):
                if key not in obj:
                    raise DataError("missing", file=path, line=lineno, field=key)
            value = obj[spec.metric]
            if isinstance(value, bool):
                value = float(value)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise DataError(
                    f"expected a finite number, got {value!r}",
                    file=path,
                    line=lineno,
                    field=spec.metric,
                )
            doc_id = obj["doc_id"]
            if not isinstance(doc_id, int) or doc_id in rows:
                raise DataError(
                    f"bad or repeated doc_id {doc_id!r}", file=path, line=lineno, field="doc_id"
                )
            rows[doc_id] = (float(value), str(obj["prompt_hash"]))
            doc = obj.get("doc")
            if spec.kind == "openqa_case" and isinstance(doc, dict) and doc.get("case_id"):
                cases[doc_id] = str(doc["case_id"])
            if example is None or doc_id < example[0]:
                args = obj.get("arguments")
                first = args.get("gen_args_0", {}).get("arg_0") if isinstance(args, dict) else None
                example = (doc_id, first if isinstance(first, str) else "")
    if not rows:
        raise DataError(f"no sample logged with filter {spec.filter!r}", file=path)
    ordered = sorted(rows)
    values = [rows[d][0] for d in ordered]
    digest = prompt_digest([(d, rows[d][1]) for d in ordered])
    clusters = [cases[d] for d in ordered] if len(cases) == len(ordered) else None
    return values, digest, (example[1] if example else None) or None, clusters


def find_result_folders(root: Path) -> list[Path]:
    """Folders under ``root`` (itself included) holding at least one results_*.json."""
    root = Path(root)
    if not root.exists():
        raise DataError("results folder not found", file=root)
    if root.is_file():
        raise DataError("expected a folder of lm-eval results, got a file", file=root)
    folders = sorted({p.parent for p in root.rglob("results_*.json")})
    if not folders:
        raise DataError(
            "no lm-eval results_*.json in this folder (run lm-eval with "
            "--output_path and --log_samples)",
            file=root,
        )
    return folders


def find_run_card(folder: Path, model_args: Any) -> Path | None:
    """``run_card.json`` beside the results, or in the trained model's folder."""
    candidates = [folder / "run_card.json"]
    for p in model_args_paths(model_args):
        candidates += [Path(p) / "run_card.json", folder / p / "run_card.json"]
    for c in candidates:
        if c.is_file():
            return c
    return None


def read_run(folder: Path) -> Run:
    """Merge every results file in one lm-eval model folder and read its sample logs."""
    files = sorted(p for p in folder.iterdir() if RESULTS_RE.match(p.name))
    run: Run | None = None
    for path in files:  # date ids sort in time order: later files win per task
        date_id = RESULTS_RE.match(path.name)["date"]
        data = read_json(path, "lm-eval results file")
        results = _need(data, "results", dict, path)
        versions = data.get("versions") or {}
        n_samples = data.get("n-samples") or {}
        config = data.get("config") or {}
        name = data.get("model_name") or config.get("model_name") or config.get("model")
        if not isinstance(name, str) or not name:
            raise DataError("missing model name", file=path, field="model_name")
        if run is None:
            run = Run(folder, name, config.get("model_args"), config.get("limit"))
        elif run.model_name != name:
            raise DataError(
                f"folder mixes models {run.model_name!r} and {name!r}",
                file=path,
                field="model_name",
            )
        run.limit = config.get("limit")
        run.lm_eval_version = data.get("lm_eval_version")
        for task, metrics in sorted(results.items()):
            spec = BY_TASK.get(task)
            if spec is None:
                continue  # groups and tasks that are not ours
            score = _need(metrics, spec.result_key, (int, float), path, f"results.{task}.")
            count = n_samples.get(task) or {}
            samples = folder / f"samples_{task}_{date_id}.jsonl"
            run.tasks[task] = TaskRun(
                task=task,
                score=float(score),
                version=versions.get(task),
                n_effective=int(count.get("effective", 0)),
                n_original=int(count.get("original", 0)),
                results_file=path,
                samples_file=samples if samples.is_file() else None,
            )
    if run is None:
        raise DataError("no results_*.json", file=folder)
    for tr in run.tasks.values():
        if tr.samples_file is not None:
            tr.values, tr.prompt_digest, tr.prompt_example, tr.clusters = read_samples(
                tr.samples_file, BY_TASK[tr.task]
            )
    run.run_card_path = find_run_card(folder, run.model_args)
    if run.run_card_path is not None:
        card = read_json(run.run_card_path, "run card")
        if not isinstance(card, dict):
            raise DataError("expected a JSON object", file=run.run_card_path)
        run.run_card = card
    return run


def read_runs(roots: list[Path]) -> list[Run]:
    """Every model found under the given folders; one model may appear only once."""
    runs: list[Run] = []
    seen: dict[str, Path] = {}
    folders = [f for root in roots for f in find_result_folders(Path(root))]
    for folder in tqdm(folders, desc="lecture des runs", unit="run", disable=None):
        run = read_run(folder)
        if run.model_name in seen:
            raise DataError(
                f"model {run.model_name!r} also found in {seen[run.model_name]}",
                file=folder,
                field="model_name",
            )
        seen[run.model_name] = folder
        runs.append(run)
    return runs


# --- curated entries -------------------------------------------------------------------

ENTRY_KEYS = {"model", "name", "base_model", "strategy", "links", "notes"}


@dataclass
class Entry:
    """Curated facts about one model, written by the board's maintainers."""

    model: str
    name: str | None = None
    base_model: str | None = None
    strategy: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)
    notes: str | None = None
    path: Path | None = None


def read_entry(path: Path) -> Entry:
    """One ``entries/<slug>.yaml``; unknown keys, bad strategies and non-http links refused."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise DataError("expected a mapping", file=path)
    for key in sorted(set(data) - ENTRY_KEYS):
        raise DataError(
            f"unknown key; allowed: {', '.join(sorted(ENTRY_KEYS))}", file=path, field=key
        )
    model = _need(data, "model", str, path)
    for key in ("name", "base_model", "strategy", "notes"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise DataError("expected a string", file=path, field=key)
    if data.get("strategy") is not None and data["strategy"] not in STRATEGIES:
        raise DataError(f"expected one of {', '.join(STRATEGIES)}", file=path, field="strategy")
    links = []
    raw_links = data.get("links") or {}
    if not isinstance(raw_links, dict):
        raise DataError("expected a mapping title -> URL", file=path, field="links")
    for title, url in raw_links.items():
        # Only web links: a javascript: or data: URL in an href would run in visitors' browsers.
        if not isinstance(url, str) or not re.match(r"^https?://", url):
            raise DataError("links must be http(s) URLs", file=path, field=f"links.{title}")
        links.append((str(title), url))
    return Entry(
        model=model,
        name=data.get("name"),
        base_model=data.get("base_model"),
        strategy=data.get("strategy"),
        links=links,
        notes=data.get("notes"),
        path=path,
    )


def read_entries(folder: Path | None) -> dict[str, Entry]:
    """Entries keyed by the lm-eval model name they describe."""
    out: dict[str, Entry] = {}
    if folder is None or not Path(folder).is_dir():
        return out
    for path in sorted(Path(folder).glob("*.yaml")):
        entry = read_entry(path)
        if entry.model in out:
            raise DataError(
                f"model {entry.model!r} already described by {out[entry.model].path}",
                file=path,
                field="model",
            )
        out[entry.model] = entry
    return out


# --- medfr-signif output ---------------------------------------------------------------


def read_signif(path: Path) -> dict:
    """``signif.json`` as documented in DEVELOPERS.md; checked enough to fail clearly."""
    data = read_json(path, "signif JSON")
    if not isinstance(data, dict):
        raise DataError("expected a JSON object", file=path)
    if data.get("medfr_signif_version") != 1:
        raise DataError(
            f"unsupported version {data.get('medfr_signif_version')!r}, expected 1",
            file=path,
            field="medfr_signif_version",
        )
    for key in ("comparisons", "win_rates", "scores"):
        items = data.get(key, [])
        if not isinstance(items, list):
            raise DataError("expected a list", file=path, field=key)
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise DataError("expected an object", file=path, field=f"{key}[{i}]")
    for i, c in enumerate(data.get("comparisons", [])):
        for key in ("model_a", "model_b", "task", "decision"):
            _need(c, key, str, path, f"comparisons[{i}].")
        if c["decision"] not in ("win", "tie", "loss"):
            raise DataError(
                "expected win, tie or loss", file=path, field=f"comparisons[{i}].decision"
            )
    for i, s in enumerate(data.get("scores", [])):
        for key in ("model", "task"):
            _need(s, key, str, path, f"scores[{i}].")
        for key in ("ci_low", "ci_high"):
            _need(s, key, (int, float), path, f"scores[{i}].")
    for i, w in enumerate(data.get("win_rates", [])):
        for key in ("model_a", "model_b", "family"):
            _need(w, key, str, path, f"win_rates[{i}].")
        for key in ("win", "tie", "loss"):
            _need(w, key, (int, float), path, f"win_rates[{i}].")
    return data
