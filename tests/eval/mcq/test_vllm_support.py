"""``medfr-vllm`` without vLLM: the feature check, the sampling kwargs, the first-step letters."""

from __future__ import annotations

import math
import sys
import types
from types import SimpleNamespace

import pytest

from medfr_eval.core.errors import MedfrError
from medfr_eval.mcq.constrained import LetterForms
from medfr_eval.mcq.generation import Plan
from medfr_eval.mcq.modes import check_run
from medfr_eval.mcq.vllm_support import check_vllm, first_step_letters, medfr_sampling_kwargs

FORMS = LetterForms({"A": (10, 11), "B": (12,), "C": (13,)}, (), separators=(5, 6), eos=(2,))


def _fake_vllm(monkeypatch, fields):
    """A module named vllm whose SamplingParams has the given fields (vLLM's Struct layout)."""
    module = types.ModuleType("vllm")
    module.SamplingParams = type("SamplingParams", (), {"__struct_fields__": tuple(fields)})
    monkeypatch.setitem(sys.modules, "vllm", module)


def test_missing_vllm_is_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm -> ImportError
    with pytest.raises(MedfrError, match="needs vLLM"):
        check_vllm()
    with pytest.raises(MedfrError, match="needs vLLM"):
        check_run("medfr-vllm", ["medfr_medqa_4opt_constrained"])


def test_vllm_without_allowed_token_ids_is_refused(monkeypatch):
    _fake_vllm(monkeypatch, ["max_tokens", "logprobs"])
    with pytest.raises(MedfrError, match="allowed_token_ids"):
        check_vllm()
    _fake_vllm(monkeypatch, ["max_tokens", "logprobs", "allowed_token_ids"])
    check_vllm()


def test_sampling_kwargs_per_plan():
    single = medfr_sampling_kwargs(
        {"temperature": 0}, Plan("constrained", ("A", "B", "C"), False), FORMS
    )
    assert single["allowed_token_ids"] == [10, 11, 12, 13]
    assert single["logprobs"] == 20 and single["temperature"] == 0
    multi = medfr_sampling_kwargs({}, Plan("constrained", ("A", "B", "C"), True), FORMS)
    assert multi["allowed_token_ids"] == [2, 5, 6, 10, 11, 12, 13]
    free = medfr_sampling_kwargs({"logprobs": 50}, Plan("free", ("A", "B", "C"), False), FORMS)
    assert "allowed_token_ids" not in free and free["logprobs"] == 50


def test_first_step_letters_merge_forms():
    step = {10: SimpleNamespace(logprob=math.log(0.2)), 11: SimpleNamespace(logprob=math.log(0.1))}
    step[13] = SimpleNamespace(logprob=math.log(0.3))
    output = SimpleNamespace(outputs=[SimpleNamespace(logprobs=[step, {}])])
    row = first_step_letters(output, FORMS)
    assert row["A"] == pytest.approx(math.log(0.3)) and row["C"] == pytest.approx(math.log(0.3))
    assert "B" not in row  # outside the returned top list
    none = SimpleNamespace(outputs=[SimpleNamespace(logprobs=None)])
    assert first_step_letters(none, FORMS) is None
