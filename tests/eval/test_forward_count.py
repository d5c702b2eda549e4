"""Restricted-choice MCQ costs one forward pass per question with lm-eval's HF backend.

The letters " A" ... " E" are single tokens, so all choices of a question
share one context; lm-eval's HF model groups such requests (its logits cache)
and reads every letter's log-probability from one forward pass. This test
counts the passes, so a change in our prompts/targets that broke the sharing
(e.g. a continuation that is two tokens) would fail here.
"""

from __future__ import annotations

import pytest

from medfr_eval.data import load_records


@pytest.mark.parametrize(
    "task,set_name", [("medfr_medqa_5opt", "medqa_5opt"), ("medfr_pubmedqa", "pubmedqa")]
)
def test_one_forward_pass_per_question(tiny_model_dir, sample_task_manager, task, set_name):
    import lm_eval
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=str(tiny_model_dir), device="cpu", batch_size=1, dtype="float32")
    calls = []
    handle = lm.model.register_forward_hook(
        lambda mod, args, out: calls.append(args[0].shape[0] if args else 1)
    )
    try:
        lm_eval.simple_evaluate(model=lm, tasks=[task], task_manager=sample_task_manager)
    finally:
        handle.remove()
    n_questions = len(load_records(set_name, "sample"))
    assert len(calls) == n_questions
    assert sum(calls) == n_questions  # batch of one question each time
