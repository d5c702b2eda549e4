"""How the tests run lm-eval on a tiny model and write its output folder.

Several end-to-end tests (the shared ``tiny_medfr_run`` fixture, the judge, the
multi-answer scoring, the public tasks) run real ``lm_eval.simple_evaluate``
on CPU the same way; the settings and the folder layout live here once.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def tiny_evaluate(
    model_dir: str | Path,
    tasks: list[str],
    task_manager: Any,
    *,
    batch_size: int = 16,
    max_gen_toks: int | None = None,
    evaluation_tracker: Any = None,
) -> dict:
    """``simple_evaluate`` of ``tasks`` on CPU in float32, samples logged."""
    import lm_eval

    extra = {"gen_kwargs": f"max_gen_toks={max_gen_toks}"} if max_gen_toks else {}
    if evaluation_tracker is not None:
        extra["evaluation_tracker"] = evaluation_tracker
    return lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={model_dir},dtype=float32",
        tasks=tasks,
        task_manager=task_manager,
        log_samples=True,
        device="cpu",
        batch_size=batch_size,
        **extra,
    )


def save_run(results: dict, out: str | Path, tracker: Any = None) -> None:
    """Write a run as ``lm_eval --output_path OUT --log_samples`` does.

    Pass the ``tracker`` given to :func:`tiny_evaluate`, if any: it holds the
    run's general configuration (model name, timings) that the results file records."""
    from lm_eval.loggers import EvaluationTracker

    tracker = tracker or EvaluationTracker(output_path=str(out))
    # the tracker rewrites what it saves (arguments, targets): hand it copies
    to_save = copy.deepcopy(results)
    samples = to_save.pop("samples")
    tracker.save_results_aggregated(results=to_save, samples=samples)
    for task in to_save["configs"]:
        tracker.save_results_samples(task_name=task, samples=samples[task])


@contextmanager
def tiny_bertscore(bert_dir: str | Path) -> Iterator[None]:
    """BERTScore on the tiny BERT (layer 2) for the duration, the environment restored after."""
    keys = ("MEDFR_BERTSCORE_MODEL", "MEDFR_BERTSCORE_LAYER")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(MEDFR_BERTSCORE_MODEL=str(bert_dir), MEDFR_BERTSCORE_LAYER="2")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def lm_eval_cli(model_dir: str | Path, task: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """The real ``lm_eval`` console script on ``task`` with the tiny model on CPU."""
    lm_eval = Path(sys.executable).with_name("lm_eval")
    argv = [str(lm_eval), "--tasks", task, "--model", "hf"]
    argv += ["--model_args", f"pretrained={model_dir},dtype=float32", "--device", "cpu", *extra]
    return subprocess.run(argv, capture_output=True, text=True, timeout=600)
