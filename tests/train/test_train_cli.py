"""``medfr-train`` as a click group: one error line and exit 2, overrides, help, light import."""

from __future__ import annotations

import pytest
from fresh_imports import loaded_by
from train_helpers import write_recipe

from medfr_eval.cli import main as medfr_main
from medfr_eval.cli import train_main

SUBCOMMANDS = ("recipe", "check", "validate-sft", "prepare-corpus", "launch")


def _recipe(tmp_path, tiny_model_dir, extra: str = "") -> str:
    return str(
        write_recipe(
            tmp_path / "r.yaml",
            f"strategy: CPT\nmodel_name_or_path: {tiny_model_dir}\ndataset_files: [corpus.txt]\n"
            f"output_dir: {tmp_path / 'out'}\nblock_size: 32\n" + extra,
        )
    )


def _one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


def test_bad_recipe_key_is_one_line_with_file_line_field(
    tmp_path, tiny_model_dir, train_data, capsys
):
    p = _recipe(tmp_path, tiny_model_dir, "learnin_rate: 0.1\n")
    assert train_main(["check", p]) == 2
    assert _one_error_line(capsys).startswith(f"error: {p}:6: learnin_rate: unknown key")
    p = _recipe(tmp_path, tiny_model_dir, "stages: {}\nlearning_rate: vite\n")
    assert train_main(["recipe", p]) == 2
    line = _one_error_line(capsys)
    assert line == f"error: {p}:7: learning_rate: invalid float value: 'vite'"
    assert not (tmp_path / "out").exists()


def test_overrides_after_the_recipe(tmp_path, tiny_model_dir, train_data, capsys):
    p = _recipe(tmp_path, tiny_model_dir)
    assert train_main(["check", p, "--block_size", "16", "--learning_rate=3e-4"]) == 0
    out = capsys.readouterr().out
    assert "0.0003" in out and " 16 " in out
    assert train_main(["check", p, "--stage.cpt.num_train_epochs", "1", "--skip-data"]) == 0
    capsys.readouterr()
    assert train_main(["check", p, "--learning_rate", "vite"]) == 2
    assert _one_error_line(capsys) == (
        "error: command line: --learning_rate: invalid float value: 'vite'"
    )
    assert train_main(["check", p, "--bogus", "1"]) == 2
    assert _one_error_line(capsys) == "error: command line: --bogus: unknown key"
    assert train_main(["check", p, "--stage.sft.learning_rate", "1e-4"]) == 2
    assert "--stage.sft: no such stage" in _one_error_line(capsys)
    assert train_main(["check", p, "--run_card.gpu_tdp_watts", "beaucoup"]) == 2
    assert "--run_card.gpu_tdp_watts: invalid float value" in _one_error_line(capsys)


def test_bad_sft_file_is_one_line(tmp_path, capsys):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"id": "x", "type": "mcq"}\n', encoding="utf-8")
    assert train_main(["validate-sft", str(p)]) == 2
    assert _one_error_line(capsys) == f"error: {p}:1: question: missing"


def test_usage_errors_exit_2(capsys):
    assert train_main(["entrainer"]) == 2
    assert "No such command" in capsys.readouterr().err
    assert train_main(["recipe"]) == 2
    assert "Missing argument" in capsys.readouterr().err


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_help_shows_an_example(name, capsys):
    assert train_main([name, "--help"]) == 0
    assert f"Example: medfr train {name} " in capsys.readouterr().out


def test_group_is_medfr_train(capsys):
    assert medfr_main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in SUBCOMMANDS)


def test_help_keys_lists_trl_and_medfr_keys(capsys):
    assert train_main(["check", "--help-keys"]) == 0
    out = capsys.readouterr().out
    for key in ("--strategy", "--gpu_name", "--learning_rate", "--lora_r", "--block_size"):
        assert key in out, key
    assert "CPT: tokens per packed block" in out  # medfr's own help text
    assert train_main(["recipe", "--help-keys"]) == 0
    assert capsys.readouterr().out == out


def test_importing_the_cli_does_not_load_the_training_stack():
    assert loaded_by(["medfr_train.cli"], ["trl", "peft", "accelerate", "torch"]) == []
