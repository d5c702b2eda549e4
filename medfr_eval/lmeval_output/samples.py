"""Sample logs (``samples_<task>_<date>.jsonl``): per-item scores, hashes, clusters, prompts.

Each line lm-eval writes (lm_eval/evaluator.py, then the tracker) holds
``doc_id``, the ``doc``, the ``arguments`` sent to the model
(``gen_args_<i>.arg_<j>``), the ``filter`` it was scored under, the per-item
metric values under their own keys and three sha256 hashes: ``doc_hash``,
``prompt_hash`` (of ``arguments[0][0]``, the first request's prompt) and
``target_hash``. This is the only module that parses these files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medfr_eval.core.errors import DataError, refuse_or_warn
from medfr_eval.core.jsonl import iter_jsonl

from .twins import spec_for

#: Sets whose items are not independent, and the doc field that groups them.
CLUSTER_KEYS: dict[str, str] = {"medfr_frclinicalqa": "case_id"}
_HASH_KEYS = ("doc_hash", "prompt_hash", "target_hash")

Warn = Callable[[str], None]


def _ignore(message: str) -> None:
    pass


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
    item_ids: list[str | None] | None = None  # doc["id"], the item's identifier in its source
    #: ``(confidence, correct)`` of each item that logged an ``ece`` record (MCQ letter
    #: probabilities, medfr_eval.metrics.calibration); None when no item did (older runs).
    calibration: list[tuple[float, float]] | None = None

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
    """Every JSON line of a sample log, grouped by the filter it was scored under.

    Bytes that are not UTF-8 are replaced, not refused: a log is lm-eval's own
    output and a stray byte in one generation must not void the whole run."""
    by_filter: dict[str, list[tuple[int, dict]]] = {}
    for lineno, rec, _ in iter_jsonl(path, problem=problem, errors="replace"):
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


def _item_calibration(rec: dict, lineno: int, problem: _Problems) -> tuple[float, float] | None:
    """The item's calibration point from its ``ece`` record, if it logged one.

    Only confidence and correctness are kept: they are all a reliability diagram
    needs, and a log of thousands of items stays small in memory."""
    record = rec.get("ece")
    if record is None:
        return None
    if not isinstance(record, dict):
        problem("expected an object (the item's letter probabilities)", lineno, "ece")
        return None
    point = []
    for key in ("confidence", "correct"):
        value = record.get(key)
        if isinstance(value, bool):
            value = float(value)
        if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
            problem(f"expected a number in [0, 1], got {value!r}", lineno, f"ece.{key}")
            return None
        point.append(float(value))
    return point[0], point[1]


def _doc_id_field(rec: dict) -> str | None:
    """The item's identifier in its source (``doc.id``), to pair a set with its English twin."""
    doc = rec.get("doc")
    ident = doc.get("id") if isinstance(doc, dict) else None
    return str(ident) if isinstance(ident, str | int) and not isinstance(ident, bool) else None


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


def read_records(
    path: str | Path, task: str, *, warn: Warn | None = None
) -> list[tuple[int, dict]]:
    """Every record of one sample log under the set's filter, as ``(line, record)``.

    For readers of per-item fields other than the headline score (the LLM
    judge's verdicts in ``filtered_resps``); the same filter choice as
    :func:`read_sample_log`."""
    path = Path(path)
    try:
        spec = spec_for(task)
    except KeyError:
        raise DataError(f"{task!r} is not a medfr set", file=path, field="task") from None
    by_filter = _records_by_filter(path, _Problems(path, False, _ignore))
    return by_filter[_choose_filter(by_filter, spec.filter, path, warn or _ignore)]


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

    The set's headline metric and filter come from :mod:`medfr_eval.core.sets`.
    ``expected_n`` (the results file's ``n-samples.effective``) catches a log cut
    at a line boundary. Strict by default: any problem raises DataError;
    ``lenient`` turns item-level problems into ``warn`` calls and drops the items.
    """
    path, warn = Path(path), warn or _ignore
    try:
        spec = spec_for(task)
    except KeyError:
        raise DataError(f"{task!r} is not a medfr set", file=path, field="task") from None
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
        calib = _item_calibration(rec, lineno, problem)
        items[doc_id] = (value, hashes, label, logged_prompt(rec), _doc_id_field(rec), calib)
    if not items:
        raise DataError(f"no usable samples under filter {chosen!r}", file=path)
    n_logged = len(by_filter[chosen])
    if expected_n is not None and n_logged != expected_n:
        message = (
            f"{n_logged} samples logged but the results file counts {expected_n}: "
            "truncated or appended log"
        )
        refuse_or_warn(
            DataError(message, file=path, field="n-samples"),
            lenient=lenient,
            warn=warn,
            instead=f"using the {len(items)} readable samples",
        )
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
        item_ids=[r[4] for r in rows],
        calibration=[r[5] for r in rows if r[5] is not None] or None,
    )
