"""Global batch per stage for a launch, against the study's (1,024 CPT, 8 SFT)."""

from __future__ import annotations

import re

import pytest

from medfr_eval.cli import train_main
from medfr_train.errors import RecipeError
from medfr_train.recipe import load_recipe
from medfr_train.recipe.batch import batch_line, parse_processes, study_global_batch


def test_study_global_batches():
    assert study_global_batch("cpt") == 1024 and study_global_batch("sft") == 8


def test_parse_processes():
    assert parse_processes([]) == {"cpt": 32, "sft": 1}
    assert parse_processes(["cpt=8"]) == {"cpt": 8, "sft": 1}
    assert parse_processes(["4"]) == {"cpt": 4, "sft": 4}
    for bad in (["dpo=2"], ["cpt=0"], ["sft=deux"]):
        with pytest.raises(RecipeError, match="--processes"):
            parse_processes(bad)


def test_chained_recipe_on_one_32_gpu_job_warns():
    """The issue's case: SFT of a chained recipe on 32 ranks is 256, not 8."""
    from medfr_eval.core.resources import recipes_dir

    recipe = load_recipe(recipes_dir() / "cpt_sft.yaml", check_data=False)
    cpt, sft = recipe.stages
    assert batch_line(cpt, 32) == (
        "cpt: global batch 16 x 2 x 32 process(es) = 1,024 sequences (study: 16 x 2 x 32 = 1,024)",
        False,
    )
    line, differs = batch_line(sft, 32)
    assert differs and line.startswith("WARNING sft: global batch 4 x 2 x 32 process(es) = 256")


def test_check_states_the_global_batch(capsys):
    from medfr_eval.core.resources import recipes_dir

    path = recipes_dir() / "cpt_sft.yaml"
    assert train_main(["check", str(path), "--skip-data"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "cpt: global batch 16 x 2 x 32 process(es) = 1,024 sequences" in out
    assert "WARNING" not in out
    assert train_main(["check", str(path), "--skip-data", "--processes", "cpt=8"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "WARNING cpt: global batch 16 x 2 x 8 process(es) = 256" in out


def test_every_study_header_states_the_global_batch():
    """Each header's 'Global batch' line agrees with the recipe's own batch and accumulation."""
    from medfr_eval.core.resources import recipes_dir

    for p in recipes_dir().rglob("config_*.yaml"):
        text = p.read_text(encoding="utf-8")
        header = text.split("\n\n", 1)[0]
        assert "Global batch:" in header, p
        recipe = load_recipe(p, check_data=False)
        for stage in recipe.stages:
            if stage.reused_from:
                continue
            a = stage.args
            shown = f"{a.per_device_train_batch_size} x {a.gradient_accumulation_steps} x "
            assert re.search(re.escape(shown) + r"(32 GPUs = 1,024|1 GPU = 8)", header), p
