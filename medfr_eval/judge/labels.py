"""Reading human labels and the judge's verdicts from lm-eval runs, and pairing them.

LABELS is JSONL, one object a line: ``{"doc_id": "kqa-001", "model": "NAME",
"human": 0 or 1}`` with an optional ``"task": "medfr_kqa"`` when ids repeat
across tasks. ``doc_id`` is medfr's item id (``doc.id`` in the sample log);
``model`` names the run that generated the answer.

A RUN is one model's lm-eval output, written with ``--log_samples`` and a
judge configured: an ``--output_path`` folder holding one model, or that
model's folder inside it. It is read by the one reader of lm-eval output
(:mod:`medfr_eval.lmeval_output`), as ``medfr signif`` and the board read it:
per task, the latest results file and the sample log of the same run. A
folder holding several models' outputs is refused, naming them, since their
logs would mix. ``NAME=PATH`` names the run; otherwise its name is the
model's name under the one naming rule
(:func:`medfr_eval.lmeval_output.display_name`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from medfr_eval import lmeval_output
from medfr_eval.core.errors import DataError
from medfr_eval.core.jsonl import iter_jsonl
from medfr_eval.judge.config import judge_identity, response_dict


@dataclass(frozen=True)
class Label:
    file: str
    line: int
    doc_id: str
    model: str
    human: int
    task: str | None = None


@dataclass(frozen=True)
class Judged:
    task: str
    doc_id: str
    answer: str
    verdict: int | None  # None: unparsable
    identity: dict[str, str]


def read_labels(path: str | Path) -> list[Label]:
    """All labels, checked; a bad line raises naming file, line and field."""
    path = Path(path)
    labels, seen = [], {}
    for number, row, _ in iter_jsonl(path):
        where = {"file": path, "line": number}
        for field in ("doc_id", "model"):
            value = row.get(field)
            if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value) == "":
                raise DataError(f"expected a non-empty string, got {value!r}", field=field, **where)
        human = row.get("human")
        if human not in (0, 1) or isinstance(human, bool):
            raise DataError(f"expected 0 or 1, got {human!r}", field="human", **where)
        task = row.get("task")
        if task is not None and not isinstance(task, str):
            raise DataError(f"expected a string, got {task!r}", field="task", **where)
        label = Label(str(path), number, str(row["doc_id"]), str(row["model"]), int(human), task)
        key = (label.model, label.task, label.doc_id)
        if key in seen:
            raise DataError(f"duplicate label (first on line {seen[key]})", field="doc_id", **where)
        seen[key] = number
        labels.append(label)
    if not labels:
        raise DataError("no labels", file=path)
    return labels


def _one_model(path: Path) -> lmeval_output.RunOutput:
    """The one model folder under ``path``, read without its sample logs' scores."""
    folders = lmeval_output.find_model_folders(path)
    runs = [lmeval_output.read_run(f, samples=False) for f in folders]
    if len(runs) > 1:
        names = ", ".join(f"{r.display_name} ({r.folder})" for r in runs)
        raise DataError(
            f"holds the output of {len(runs)} model folders: {names}; give one model's "
            "folder per RUN, as NAME=PATH",
            file=path,
            field="RUN",
        )
    return runs[0]


def read_run(spec: str) -> tuple[str, dict[tuple[str, str], Judged]]:
    """``(name, {(task, doc_id): Judged})`` for one ``[NAME=]PATH`` run argument."""
    name, _, raw_path = spec.rpartition("=") if "=" in spec else ("", "", spec)
    folder = Path(raw_path)
    if not folder.is_dir():
        raise DataError("run folder does not exist", file=folder)
    run = _one_model(folder)
    judged: dict[tuple[str, str], Judged] = {}
    for task, out in run.tasks.items():
        if out.samples_file is None:
            continue
        for _, entry in lmeval_output.read_records(out.samples_file, task):
            identity = judge_identity(entry)
            if identity is None:
                continue
            resp = response_dict(entry.get("filtered_resps")) or {}
            doc = entry.get("doc") if isinstance(entry.get("doc"), dict) else {}
            doc_id = str(doc.get("id", entry.get("doc_id")))
            verdict = resp.get("judge")
            if isinstance(verdict, bool) or verdict not in (0, 1):
                verdict = None  # unparsable, or not a verdict at all
            judged[(task, doc_id)] = Judged(
                task, doc_id, str(resp.get("answer", "")), verdict, identity
            )
    if not judged:
        raise DataError(
            "no judged samples (run lm_eval with --log_samples and a judge)", file=folder
        )
    return name or run.display_name, judged


@dataclass(frozen=True)
class Pair:
    model: str
    task: str
    doc_id: str
    human: int
    judge: int
    words: int


def pair_up(
    labels: list[Label], runs: dict[str, dict[tuple[str, str], Judged]]
) -> tuple[list[Pair], list[Label], dict[str, str]]:
    """Pairs of (judge, human) verdicts, the labels whose verdict was unparsable, and the judge identity.

    Every label must find its run and item, and all verdicts must come from one
    judge: agreement statistics mixing judges would describe no judge at all."""
    pairs, unparsable, identities = [], [], {}
    for label in labels:
        where = {"file": label.file, "line": label.line}
        if label.model not in runs:
            known = ", ".join(sorted(runs))
            raise DataError(f"no run named {label.model!r} (runs: {known})", field="model", **where)
        judged = runs[label.model]
        hits = [
            j
            for (task, doc), j in judged.items()
            if doc == label.doc_id and label.task in (None, task)
        ]
        if not hits:
            raise DataError(
                f"no judged item {label.doc_id!r} in run {label.model!r}", field="doc_id", **where
            )
        if len(hits) > 1:
            raise DataError('doc_id found in several tasks; add "task"', field="doc_id", **where)
        hit = hits[0]
        identities[json.dumps(hit.identity, sort_keys=True)] = label.model
        if hit.verdict is None:
            unparsable.append(label)
            continue
        words = len(hit.answer.split())
        pairs.append(
            Pair(label.model, hit.task, label.doc_id, label.human, int(hit.verdict), words)
        )
    if len(identities) > 1:
        raise DataError(
            "the runs were judged by different judges: " + "; ".join(sorted(identities)),
            file=labels[0].file,
        )
    identity = json.loads(next(iter(identities))) if identities else {}
    return pairs, unparsable, identity
