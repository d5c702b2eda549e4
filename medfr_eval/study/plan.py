"""A study's run folder: where each model's results go, the lm-eval command that makes them,
and whether results already there are complete and made under the study's settings.

Layout of ``RUN/`` (``medfr study run STUDY -o RUN``)::

    study.json            which study file (and command-line values) the folder belongs to
    models/<model>/       one model's ``lm_eval --output_path``: lm-eval's own layout, read by
                          medfr signif and the board; moved in whole once the run succeeded
    models/.<model>.tmp-* a model being evaluated (never read)
    cache/<model>-<key>/  lm-eval's --use_cache response store: an interrupted model resumes
    cache/scores/<model>.npz  per-item scores read from the model's logs (:mod:`.memo`)
    logs/<model>.log      lm-eval's output
    pairs.yaml, board_entries/, signif/, compare/, site/, published.json   (publishing)

A model is *done* when its folder holds, for every set of the study, a results row and a
whole sample log (read by :mod:`medfr_eval.lmeval_output`, the reader signif and the board
use) made under the study's settings: the task version the shipped YAML declares, the
few-shot count, the generation settings and BERTScore model the study names, the data it
names, the same model (backend, weights, revision, chat template) and no ``--limit``
(:func:`settings_problems`). Anything else is *stale* and evaluated again.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medfr_eval import lmeval_output as lo
from medfr_eval.core.errors import MedfrError

from . import memo, taskindex
from .spec import VLLM_BACKENDS, Study, StudyModel


@dataclass(frozen=True)
class Layout:
    """The paths of one run folder (module docstring)."""

    root: Path

    @property
    def models(self) -> Path:
        return self.root / "models"

    def model_dir(self, model: StudyModel) -> Path:
        return self.models / model.slug

    def log(self, model: StudyModel) -> Path:
        return self.root / "logs" / f"{model.slug}.log"

    def memo(self, model: StudyModel) -> Path:
        return self.root / "cache" / "scores" / f"{model.slug}.npz"

    @property
    def record(self) -> Path:
        return self.root / "study.json"

    @property
    def signif(self) -> Path:
        return self.root / "signif"

    @property
    def compare(self) -> Path:
        return self.root / "compare"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def entries(self) -> Path:
        return self.root / "board_entries"

    @property
    def pairs(self) -> Path:
        return self.root / "pairs.yaml"

    @property
    def published(self) -> Path:
        return self.root / "published.json"


# --------------------------------------------------------------------------- commands


def _args(values: dict) -> list[str]:
    return [f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in values.items()]


def model_args(study: Study, model: StudyModel) -> str:
    """lm-eval's ``--model_args``: the weights, then the study's and the model's own."""
    ev = study.evaluation
    args = {"pretrained": model.pretrained}
    if model.revision:
        args["revision"] = model.revision
    args.update(ev.model_args)
    if ev.backend in VLLM_BACKENDS:
        args["tensor_parallel_size"] = ev.tensor_parallel
        args["data_parallel_size"] = ev.data_parallel
    args.update(model.model_args)
    return ",".join(_args(args))


def cache_key(study: Study, model: StudyModel) -> str:
    """What the cached responses depend on beyond the requests themselves.

    lm-eval's response cache is keyed by the request only, not by the model: a cache
    kept across a retrained checkpoint at the same path would hand back the old
    model's answers. So each model's cache folder is named after its backend, weights
    and arguments, and for a local folder after its files' sizes and times."""
    parts: list[Any] = [study.evaluation.backend, model_args(study, model), model.chat_template]
    if model.path is not None and model.path.is_dir():
        for p in sorted(model.path.iterdir()):
            if p.is_file():
                st = p.stat()
                parts.append((p.name, st.st_size, st.st_mtime_ns))
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:12]


def cache_prefix(layout: Layout, study: Study, model: StudyModel) -> Path:
    """lm-eval's ``--use_cache`` value (it appends ``_rank<N>.db``)."""
    return layout.root / "cache" / f"{model.slug}-{cache_key(study, model)}" / "lm"


def lm_eval_argv(study: Study, model: StudyModel, output: Path, cache: Path) -> list[str]:
    """The one lm-eval command line that evaluates ``model`` on the study's sets.

    ``python -m lm_eval`` of this interpreter (the environment medfr runs in); an ``hf``
    study with ``data_parallel`` > 1 runs it under ``accelerate launch``, as lm-eval
    documents for data-parallel hf evaluation."""
    ev = study.evaluation
    head = [sys.executable, "-m", "lm_eval"]
    if ev.backend not in VLLM_BACKENDS and ev.data_parallel > 1:
        head = [sys.executable, "-m", "accelerate.commands.launch",
                "--num_processes", str(ev.data_parallel), "-m", "lm_eval"]  # fmt: skip
    argv = [*head, "--model", ev.backend, "--model_args", model_args(study, model),
            "--tasks", ",".join(study.tasks), "--num_fewshot", str(ev.num_fewshot),
            "--batch_size", ev.batch_size]  # fmt: skip
    if ev.device:
        argv += ["--device", ev.device]
    if ev.gen_kwargs:
        argv += ["--gen_kwargs", ",".join(_args(ev.gen_kwargs))]
    if ev.lm_eval_metadata():
        argv += [
            "--metadata",
            json.dumps(ev.lm_eval_metadata(), ensure_ascii=False, sort_keys=True),
        ]
    if model.chat_template:
        argv += ["--apply_chat_template"]
    return [*argv, "--log_samples", "--output_path", str(output), "--use_cache", str(cache)]


def lm_eval_env(study: Study) -> dict[str, str]:
    """Environment variables the evaluation needs on top of the caller's (BERTScore scorer)."""
    names = {"model": "MEDFR_BERTSCORE_MODEL", "layer": "MEDFR_BERTSCORE_LAYER",
             "batch_size": "MEDFR_BERTSCORE_BATCH_SIZE"}  # fmt: skip
    return {names[k]: str(v) for k, v in study.evaluation.bertscore.items()}


def _values(study: Study) -> list[str]:
    out: list[str] = []
    for text in study.overrides:
        out += ["--set", text]
    for name, path in study.model_paths:
        out += ["--model-path", f"{name}={path}"]
    return out


def array_task_argv(study: Study, run_dir: Path, model: StudyModel) -> list[str]:
    """The command that evaluates one model of the study (one SLURM array task's work)."""
    return ["medfr", "study", "run", str(study.path), "-o", str(run_dir), "--only", model.name,
            *_values(study)]  # fmt: skip


def publish_argv(study: Study, run_dir: Path) -> list[str]:
    """The command that pairs, compares and publishes once every model is done (the final job)."""
    return ["medfr", "study", "publish", str(study.path), "-o", str(run_dir), *_values(study)]


# --------------------------------------------------------------------------- status


@dataclass
class Status:
    """Where one model stands in a run folder."""

    model: StudyModel
    state: str  # "done", "stale" or "pending"
    folder: Path | None = None  # its lm-eval model folder, when there is one
    problems: list[str] = field(default_factory=list)
    output: lo.RunOutput | None = None  # its results files (configs, counts), logs not parsed
    scores: memo.Scores | None = None  # per set: doc ids, values, clusters (when done)

    @property
    def done(self) -> bool:
        return self.state == "done"


def _expected(study: Study, task: str, config: dict) -> dict[str, Any]:
    """The dotted settings (:func:`lo.score_settings` keys) the study fixes for one task."""
    ev = study.evaluation
    out: dict[str, Any] = {"version": taskindex.version(task), "num_fewshot": ev.num_fewshot}
    if "generation_kwargs" in config:
        out.update({f"generation_kwargs.{k}": v for k, v in ev.gen_kwargs.items()})
        if "model" in ev.bertscore:
            out["metadata.medfr_bertscore.model"] = ev.bertscore["model"]
        if "layer" in ev.bertscore:
            out["metadata.medfr_bertscore.num_layers"] = ev.bertscore["layer"]
    return out


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _model_problems(study: Study, model: StudyModel, out: lo.RunOutput) -> list[str]:
    """Which model and run options the folder's results were made with, against the study's."""
    problems = []
    args = out.model_args if isinstance(out.model_args, dict) else {}
    found = {"pretrained": args.get("pretrained", out.model_name), "revision": args.get("revision")}
    wanted = {"pretrained": model.pretrained, "revision": model.revision}
    for key, value in wanted.items():
        if (value is not None or key == "pretrained") and str(found[key]) != str(value):
            problems.append(f"model_args.{key}: {found[key]!r} vs {value!r}")
    if out.limit is not None:
        problems.append(f"limit: {out.limit!r} vs none (a --limit run scores part of each set)")
    return problems


def _run_level(study: Study, model: StudyModel, folder: Path) -> list[str]:
    """Backend and chat template, from the results file's run-level entries."""
    problems = []
    for path in sorted(folder.glob("results_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        backend = (data.get("config") or {}).get("model")
        if backend not in (None, study.evaluation.backend):
            problems.append(f"model: {backend!r} vs {study.evaluation.backend!r} ({path.name})")
        templated = bool(data.get("chat_template"))
        if "chat_template" in data and templated != model.chat_template:
            problems.append(f"chat template: {templated} vs {model.chat_template} ({path.name})")
    return problems


def settings_problems(study: Study, model: StudyModel, out: lo.RunOutput) -> list[str]:
    """Every way the folder's results differ from what the study asks, as ``field: found vs wanted``."""
    problems = _model_problems(study, model, out)
    problems += _run_level(study, model, out.folder)
    wanted_data = study.evaluation.data
    for task in study.leaves:
        t = out.tasks.get(task)
        if t is None:
            continue
        found = lo.score_settings(t)
        for key, value in _expected(study, task, t.config).items():
            if not _same(found.get(key), value):
                problems.append(f"{task}: {key}: {found.get(key)!r} vs {value!r}")
        meta = t.config.get("metadata") if isinstance(t.config.get("metadata"), dict) else {}
        if meta.get("medfr_data") != wanted_data:
            problems.append(f"{task}: medfr_data: {meta.get('medfr_data')!r} vs {wanted_data!r}")
    return problems


def _completeness(study: Study, out: lo.RunOutput) -> list[str]:
    missing = [t for t in study.leaves if t not in out.tasks]
    no_log = [t for t in study.leaves if t in out.tasks and out.tasks[t].samples_file is None]
    problems = []
    if missing:
        problems.append(f"no results for {', '.join(missing)}")
    if no_log:
        problems.append(f"no sample log for {', '.join(no_log)}")
    return problems


def read_scores(study: Study, out: lo.RunOutput) -> memo.Scores:
    """Every set's sample log read whole by the shared reader (strict), as per-item arrays."""
    scores: memo.Scores = {}
    for task in study.leaves:
        t = out.tasks[task]
        log = lo.read_sample_log(t.samples_file, task, expected_n=t.n_effective,
                                 cluster=study.significance.cluster)  # fmt: skip
        scores[task] = (log.doc_ids, log.values, log.clusters)
    return scores


def inspect_folder(
    study: Study, model: StudyModel, root: Path, saved: Path | None = None
) -> Status:
    """Read one model's results under ``root`` and say whether they are done (module docstring).

    The sample logs are read whole unless ``saved`` (:mod:`.memo`) holds their scores for
    these very files; after a full read the scores are saved there."""
    if not root.is_dir():
        return Status(model, "pending")
    try:
        folders = lo.find_model_folders(root)
        if len(folders) != 1:
            return Status(model, "stale", root, [f"{len(folders)} model folders under {root}"])
        folder = folders[0]
        out = lo.read_run(folder, tasks=list(study.leaves), samples=False)
        problems = _completeness(study, out) + settings_problems(study, model, out)
        if problems:
            return Status(model, "stale", folder, problems, out)
        cluster = study.significance.cluster
        scores = memo.load(saved, folder, study.leaves, cluster) if saved is not None else None
        if scores is None:
            scores = read_scores(study, out)
            if saved is not None:
                memo.save(saved, folder, study.leaves, cluster, scores)
    except MedfrError as exc:
        return Status(model, "stale", root, [str(exc)])
    return Status(model, "done", folder, [], out, scores)


def status(study: Study, layout: Layout, model: StudyModel) -> Status:
    """Where ``model`` stands in the run folder."""
    return inspect_folder(study, model, layout.model_dir(model), layout.memo(model))
