"""lm-eval's "Custom kwargs can be passed to --metadata" advice is quiet for our tasks."""

from __future__ import annotations

import logging

from lmeval_run import lm_eval_cli

from medfr_eval.lmeval.warnings import LOGGER, CustomKwargsAdviceFilter

ADVICE = (
    "Custom kwargs can be passed to `--metadata` in console (as json string) or to the TaskManager."
)


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord(LOGGER, logging.WARNING, "task.py", 862, message, None, None)


def test_filter_drops_the_advice_for_medfr_tasks_only():
    keep = CustomKwargsAdviceFilter().filter
    assert not keep(_record(f"medfr_kqa: {ADVICE}\nFor example --metadata='{{}}'."))
    assert keep(_record(f"ruler_niah: {ADVICE}"))  # another package's task keeps lm-eval's advice
    assert keep(_record("medfr_kqa: some other warning"))


def test_a_tiny_lm_eval_run_prints_no_custom_kwargs_advice(tiny_model_dir, tmp_path):
    """The real console script, one task, the shipped sample: not a word of the advice."""
    out = lm_eval_cli(
        tiny_model_dir,
        "medfr_mmlu_medical_genetics",
        "--metadata",
        '{"medfr_data": "sample"}',
        "--output_path",
        str(tmp_path / "run"),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    printed = out.stdout + out.stderr
    assert "medfr_mmlu_medical_genetics" in printed  # the run did load and report the task
    assert "Custom kwargs" not in printed, printed[-3000:]
