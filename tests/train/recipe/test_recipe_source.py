"""Key lines from the YAML node marks, and TRL-style ``--key value`` overrides (recipe.source)."""

from __future__ import annotations

import pytest

from medfr_train.errors import RecipeError
from medfr_train.recipe.source import RecipeSource, key_lines, parse_overrides


def test_key_lines_follow_nested_mappings():
    text = "# tête\nstrategy: CPT+SFT\nstages:\n  cpt:\n    block_size: 64\n  sft:\n    lr: 1\n"
    lines = key_lines(text)
    assert lines[("strategy",)] == 2
    assert lines[("stages", "cpt", "block_size")] == 5
    assert lines[("stages", "sft", "lr")] == 7


def test_overrides_forms():
    got = parse_overrides(
        [
            "--learning_rate",
            "1e-4",
            "--stage.sft.max-length=64",
            "--merge_adapter",
            "--lora_target_modules",
            "q_proj",
            "v_proj",
            "--run_card.gpu_name",
            "H100",
        ]
    )
    assert got == [
        (("learning_rate",), "1e-4"),
        (("stages", "sft", "max_length"), "64"),
        (("merge_adapter",), True),
        (("lora_target_modules",), ["q_proj", "v_proj"]),
        (("run_card", "gpu_name"), "H100"),
    ]


@pytest.mark.parametrize("tokens", [["learning_rate", "1"], ["--stage.sft", "1"], ["-x"]])
def test_bad_override_names_the_command_line(tokens):
    with pytest.raises(RecipeError) as ei:
        parse_overrides(tokens)
    assert ei.value.file == "command line" and ei.value.field == tokens[0]


def test_source_error_names_file_line_or_flag(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("strategy: SFT\nstages:\n  sft:\n    seed: x\n", encoding="utf-8")
    src = RecipeSource.read(p)
    e = src.error(("stages", "sft", "seed"), "bad")
    assert str(e) == f"{p}:4: stages.sft.seed: bad"
    assert str(src.error(("--seed",), "bad")) == "command line: --seed: bad"
    p.write_text("- une\n- liste\n", encoding="utf-8")
    with pytest.raises(RecipeError, match="must be a YAML mapping"):
        RecipeSource.read(p)
