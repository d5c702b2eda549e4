"""A CPU training run prints no warning the user cannot act on (pinned memory, old names)."""

from __future__ import annotations

import warnings

from train_helpers import write_recipe

from medfr_train.runner import run_recipe


def test_a_cpu_dora_run_with_checkpointing_warns_of_neither_pin_memory_nor_old_names(
    tmp_path, tiny_model_dir, train_data
):
    recipe = write_recipe(
        tmp_path / "sft.yaml",
        f"strategy: SFT\nmodel_name_or_path: {tiny_model_dir}\ndataset_files: [sft.jsonl]\n"
        f"output_dir: {tmp_path / 'o'}\nmax_length: 128\nmax_steps: 1\nsave_strategy: 'no'\n"
        "use_peft: true\nuse_dora: true\ngradient_checkpointing: true\n",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_recipe(recipe)
    assert (result.model_dir / "run_card.json").is_file()
    said = [f"{w.category.__name__}: {w.message}" for w in caught]
    assert not [m for m in said if "pin_memory" in m], said
    assert not [m for m in said if "checkpointing" in m and "deprecated" in m], said
