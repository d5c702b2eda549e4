"""Restricted-choice MCQ costs one forward pass per question with lm-eval's HF backend.

The letters " A" ... " E" are single tokens, so all choices of a question
share one context; lm-eval's HF model groups such requests (its logits cache)
and reads every letter's log-probability from one forward pass. This test
counts the passes, so a change in our prompts/targets that broke the sharing
(e.g. a continuation that is two tokens) would fail here. Under
``--apply_chat_template`` lm-eval 0.4.13 sets the target delimiter to "" (no
``gen_prefix``), so the continuations are "A" ... "E": still single tokens in
the tiny tokenizer (and in the real ones), still one pass.
"""

from __future__ import annotations

import pytest

from medfr_eval.data.load import load_records


@pytest.mark.parametrize(
    "task,set_name", [("medfr_medqa_5opt", "medqa_5opt"), ("medfr_pubmedqa", "pubmedqa")]
)
def test_one_forward_pass_per_question(tiny_model_dir, sample_task_manager, task, set_name):
    calls, _ = _count_passes(tiny_model_dir, sample_task_manager, task)
    n_questions = len(load_records(set_name, "sample"))
    assert len(calls) == n_questions
    assert sum(calls) == n_questions  # batch of one question each time


def test_one_forward_pass_under_the_chat_template(tiny_model_dir, sample_task_manager):
    """lm-eval drops the space before the answer under a chat template: "A", still one pass."""
    task = "medfr_medqa_5opt"
    calls, out = _count_passes(tiny_model_dir, sample_task_manager, task, apply_chat_template=True)
    n_questions = len(load_records("medqa_5opt", "sample"))
    assert (len(calls), sum(calls)) == (n_questions, n_questions)
    for s in out["samples"][task]:
        assert [cont for _, cont in s["arguments"]] == list("ABCDE")
        assert s["arguments"][0][0].endswith("[/INST]")


def _count_passes(model_dir, task_manager, task, **kwargs):
    """Forward passes (batch sizes) of one restricted run through lm-eval's HF backend."""
    import lm_eval
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=str(model_dir), device="cpu", batch_size=1, dtype="float32")
    calls = []
    handle = lm.model.register_forward_hook(
        lambda mod, args, out: calls.append(args[0].shape[0] if args else 1)
    )
    try:
        out = lm_eval.simple_evaluate(
            model=lm, tasks=[task], task_manager=task_manager, log_samples=True, **kwargs
        )
    finally:
        handle.remove()
    return calls, out
