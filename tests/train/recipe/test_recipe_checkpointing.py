"""Activation checkpointing reaches transformers under its current name: no FutureWarning."""

from __future__ import annotations

import warnings

import pytest
from train_helpers import write_recipe

from medfr_train.recipe import load_recipe


@pytest.mark.parametrize("line, expected", [("", True), ("gradient_checkpointing: false\n", False)])
def test_no_gradient_checkpointing_deprecation_warning(
    tmp_path, tiny_model_dir, train_data, line, expected
):
    """Unset (TRL's default: on) or set with the name recipes use: same value, no warning."""
    p = write_recipe(
        tmp_path / "sft.yaml",
        f"strategy: SFT\nmodel_name_or_path: {tiny_model_dir}\ndataset_files: [sft.jsonl]\n"
        f"output_dir: {tmp_path / 'o'}\nmax_length: 256\n{line}",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (stage,) = load_recipe(p).stages
    deprecations = [str(w.message) for w in caught if "checkpointing" in str(w.message)]
    assert not deprecations, deprecations
    assert stage.args.gradient_checkpointing is expected
    if hasattr(stage.args, "activation_checkpointing"):  # transformers 5.x
        assert stage.args.activation_checkpointing is expected
    if line:  # the run card keeps the key as the recipe wrote it
        assert stage.values["gradient_checkpointing"] is expected
