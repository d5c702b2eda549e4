"""The contamination check is evaluation-side code: no training stack, no torch, no lm-eval."""

from __future__ import annotations

from fresh_imports import loaded_by


def test_cli_imports_no_training_stack_nor_torch():
    modules = ["medfr_eval.contamination.cli", "medfr_eval.contamination.exclude"]
    assert loaded_by(modules, ["trl", "peft", "accelerate", "torch", "lm_eval"]) == []
