"""Mode names, decoding plans and the checks made before a model loads."""

from __future__ import annotations

import pytest

from medfr_eval.core.errors import DataError, MedfrError
from medfr_eval.mcq.generation import Plan, plan_for
from medfr_eval.mcq.modes import check_run, requested_sets, task_name


class _Req:
    def __init__(self, doc, gen_kwargs, task_name="t"):
        self.doc, self.args, self.task_name = doc, ("prompt", gen_kwargs), task_name


DOC4 = {"options": ["a", "b", "c", "d"], "choices": list("ABCD"), "gold": 1}
DOC_MULTI = {"options": list("abcde"), "choices": ["A", "B", "A B"] + ["x"] * 28, "gold": 2}


def test_task_names():
    assert task_name("medqa_4opt") == "medfr_medqa_4opt"
    assert task_name("medqa_4opt", "free") == "medfr_medqa_4opt_gen"
    assert task_name("pubmedqa", "constrained", 2) == "medfr_pubmedqa_constrained_perm2"
    with pytest.raises(DataError, match="unknown MCQ mode 'beam'"):
        task_name("pubmedqa", "beam")


def test_plans():
    assert plan_for(_Req(DOC4, {})) == Plan("free", ("A", "B", "C", "D"), False)
    assert plan_for(_Req(DOC4, {"medfr_decoding": "constrained"})).mode == "constrained"
    assert plan_for(_Req(DOC_MULTI, {"medfr_decoding": "constrained"})).multi
    assert plan_for(_Req({"question": "open"}, {"until": ["\n"]})) is None  # not ours
    with pytest.raises(MedfrError, match="unknown decoding mode 'beam'"):
        plan_for(_Req(DOC4, {"medfr_decoding": "beam"}))
    with pytest.raises(MedfrError, match="not medfr MCQ items"):
        plan_for(_Req({"question": "open"}, {"medfr_decoding": "constrained"}, "other"))


def test_requested_sets_through_groups_and_suffixes():
    names = {s.name for s in requested_sets(["medfr_mmlu_gen", "medfr_pubmedqa_constrained_perm2"])}
    assert "pubmedqa" in names and "mmlu_anatomy" in names and "medqa_4opt" not in names


def test_constrained_needs_the_medfr_model():
    check_run("medfr-hf", ["medfr_all_constrained"])
    check_run("hf", ["medfr_all", "medfr_all_gen"])
    with pytest.raises(DataError, match="medfr_frmedmcqa_constrained"):
        check_run("hf", "medfr_frmedmcqa_constrained,medfr_kqa")
