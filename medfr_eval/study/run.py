"""``medfr study run``: every model of a study through lm-eval, one process per model.

Each model is one ``python -m lm_eval`` call (:func:`.plan.lm_eval_argv`), its output
in a temp folder beside the others, moved into ``models/<model>/`` only once lm-eval
exited 0 and the results read back complete and under the study's settings: a killed
or failed evaluation never leaves a folder that looks finished. lm-eval's
``--use_cache`` keeps every answer it computed, so the same command after an
interruption resumes where it stopped. A model already done is skipped; one line per
model says what happened, and a bar runs over the models on a terminal.

:func:`evaluate_model` is the one unit of work: a SLURM array task runs it for one
model (``--only NAME``), and the final job publishes (:mod:`.publish`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from medfr_eval.core.errors import StudyError
from medfr_eval.core.fileio import swap_in, term_as_interrupt, write_json_atomic

from . import memo
from .plan import Layout, Status, cache_prefix, inspect_folder, lm_eval_argv, lm_eval_env, status
from .spec import Study, StudyModel

Say = Callable[[str], None]
#: How long lm-eval may take to exit after SIGTERM before it is killed.
STOP_GRACE_S = 30


def record_study(study: Study, layout: Layout) -> None:
    """``RUN/study.json``: the study file and command-line values the folder was made from,
    so that ``medfr study compare RUN/`` reads the same study. Written only when it changes."""
    record = {
        "medfr_study_run": 1,
        "study_file": str(study.path),
        "sha256": study.sha256,
        "name": study.name,
        "overrides": list(study.overrides),
        "model_paths": dict(study.model_paths),
    }
    if layout.record.is_file():
        import json

        try:
            if json.loads(layout.record.read_text(encoding="utf-8")) == record:
                return
        except (ValueError, OSError):
            pass
    write_json_atomic(layout.record, record)


def preflight(study: Study) -> None:
    """Every set has data and the user's files and templates are sound, before any model loads.

    lm-eval checks the same at the start of each model's run; checking once here stops a
    study at once instead of after its first model's download and load."""
    from medfr_eval.lmeval.preflight import check_data, check_sources

    meta = study.evaluation.lm_eval_metadata()
    check_sources(list(study.tasks), meta)
    check_data(list(study.tasks), meta)


def select(study: Study, only: Sequence[str]) -> list[StudyModel]:
    """The models to evaluate: all, or those named by ``--only`` (each must be a study model)."""
    for name in only:
        if name not in study.names:
            raise StudyError(
                f"not a model of the study ({', '.join(study.names)})", field=f"--only {name}"
            )
    return [m for m in study.models if not only or m.name in only]


def _tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run_command(argv: list[str], log: Path, env: dict[str, str]) -> int:
    """Run one command with its output in ``log``; on Ctrl-C or SIGTERM stop it first.

    Why the explicit stop: a scheduler's SIGTERM reaches medfr, and lm-eval must not
    go on writing into a folder that is being removed."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as fh, term_as_interrupt():
        proc = subprocess.Popen(
            argv, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, **env}
        )
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            raise


def clean_leftovers(layout: Layout, model: StudyModel) -> None:
    """Temp folders of this model left by a killed run (its cache stays: that is the resume)."""
    if layout.models.is_dir():
        for stale in layout.models.glob(f".{model.slug}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)


def evaluate_model(study: Study, layout: Layout, model: StudyModel) -> Status:
    """Evaluate one model into ``models/<model>/`` (module docstring); returns its new status."""
    layout.models.mkdir(parents=True, exist_ok=True)
    clean_leftovers(layout, model)
    tmp = Path(tempfile.mkdtemp(prefix=f".{model.slug}.tmp-", dir=layout.models))
    log = layout.log(model)
    cache = cache_prefix(layout, study, model)
    cache.parent.mkdir(parents=True, exist_ok=True)
    try:
        code = run_command(lm_eval_argv(study, model, tmp, cache), log, lm_eval_env(study))
        if code != 0:
            raise StudyError(f"lm_eval exited with status {code}; its last lines:\n{_tail(log)}\n"
                             f"whole log: {log}", field=model.name)  # fmt: skip
        got = inspect_folder(study, model, tmp)
        if not got.done:
            raise StudyError(f"lm_eval finished but its results are not what the study asks: "
                             f"{'; '.join(got.problems)} (log: {log})", field=model.name)  # fmt: skip
        swap_in(tmp, layout.model_dir(model))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # The logs were just read whole; a rename keeps their sizes and times, so the scores
    # read in the temp folder are the final folder's.
    final = layout.model_dir(model) / got.folder.name
    memo.save(layout.memo(model), final, study.leaves, study.significance.cluster, got.scores)
    return status(study, layout, model)


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    if seconds >= 60:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{seconds:.1f} s"


def run_models(study: Study, layout: Layout, models: list[StudyModel], say: Say,
               advance: Callable[[], None] = lambda: None) -> list[Status]:  # fmt: skip
    """Evaluate every model not done yet, in the study's order; one line per model."""
    record_study(study, layout)
    out = []
    width = len(str(len(models)))
    for i, model in enumerate(models, 1):
        head = f"[{i:>{width}}/{len(models)}] {model.name}"
        st = status(study, layout, model)
        if st.done:
            say(f"{head}: done, skipped ({len(study.leaves)} sets, same settings)")
        else:
            why = "" if st.state == "pending" else f" (again: {st.problems[0]})"
            say(f"{head}: evaluating{why}; log {layout.log(model)}")
            start = time.monotonic()
            st = evaluate_model(study, layout, model)
            say(f"{head}: evaluated in {_duration(time.monotonic() - start)}")
        out.append(st)
        advance()
    return out
