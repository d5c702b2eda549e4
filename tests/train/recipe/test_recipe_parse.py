"""Values typed by TRL's own parser, refused values named by key (recipe.parse)."""

from __future__ import annotations

import pytest

from medfr_train.recipe.parse import (
    KeyValueError,
    is_stage_key,
    parse_values,
    run_card_parser,
    stage_parser,
)


def test_yaml_values_are_converted_like_command_line_tokens(tmp_path):
    (args, model, medfr), values = parse_values(
        stage_parser(),
        {
            "output_dir": str(tmp_path),
            "learning_rate": "2e-5",  # PyYAML reads this as a string
            "num_train_epochs": 3,
            "use_peft": "true",
            "lora_target_modules": ["q_proj", "v_proj"],
            "block_size": "64",
            "column_mapping": {"question": "q", "answer": "a"},
            "max_steps": None,
            "bf16": False,  # load_recipe decides it per machine
            # load_recipe passes checkpointing under both names (recipe.stage._checkpointing_names)
            "gradient_checkpointing": True,
            "activation_checkpointing": True,
        },
    )
    assert args.learning_rate == 2e-5 and values["learning_rate"] == 2e-5
    assert args.num_train_epochs == 3.0 and isinstance(values["num_train_epochs"], float)
    assert model.use_peft is True and model.lora_target_modules == ["q_proj", "v_proj"]
    assert medfr.block_size == 64 and medfr.column_mapping == {"question": "q", "answer": "a"}


@pytest.mark.parametrize(
    "key,value,message",
    [
        ("learning_rate", "vite", "invalid float value: 'vite'"),
        ("per_device_train_batch_size", 1.5, "invalid int value: '1.5'"),
        ("num_train_epochs", [1, 2], "expected one value, got a list"),
        ("lora_target_modules", [], "at least one value"),
        ("lr_scheduler_type", "zigzag", "invalid choice: 'zigzag'"),
        ("use_peft", "peut-etre", "peut-etre"),
    ],
)
def test_refused_values_name_their_key(tmp_path, key, value, message):
    with pytest.raises(KeyValueError) as ei:
        parse_values(stage_parser(), {"output_dir": str(tmp_path), "bf16": False, key: value})
    assert ei.value.key == key and message in ei.value.message, ei.value.message


def test_vocabulary():
    assert is_stage_key("learning_rate") and is_stage_key("block_size") and is_stage_key("lora_r")
    assert not is_stage_key("learning-rate")  # YAML keys are the field names
    assert not is_stage_key("strategy") and not is_stage_key("learnin_rate")
    (rc,), values = parse_values(run_card_parser(), {"gpu_tdp_watts": "700"})
    assert rc.gpu_tdp_watts == 700.0 and values == {"gpu_tdp_watts": 700.0}
