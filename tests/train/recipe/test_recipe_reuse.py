"""Chained recipes reuse another recipe's finished CPT (from_recipe) instead of training it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from train_helpers import write_recipe

from medfr_eval.cli import train_main
from medfr_train.errors import RecipeError
from medfr_train.recipe import load_recipe

#: chained study recipe -> (its CPT recipe, the SFT-only recipe of the same model)
CHAINED = {
    "medmistral-cpt-sft-7b/cpt_sft/config_from_mistral.yaml": (
        "medmistral-cpt-7b/cpt/config_full.yaml",
        "medmistral-cpt-sft-7b/sft/config_from_medmistral_cpt.yaml",
    ),
    "medmistralinstruct-cpt-sft-7b/cpt_sft/config_from_mistral_instruct.yaml": (
        "medmistralinstruct-cpt-7b/cpt/config_full.yaml",
        "medmistralinstruct-cpt-sft-7b/sft/config_from_medmistralinstruct_cpt.yaml",
    ),
    "biomistral-cpt-sft-7b/cpt_sft/config_from_biomistral.yaml": (
        "biomistral-cpt-7b/cpt/config_full.yaml",
        "biomistral-cpt-sft-7b/sft/config_from_biomistral_cpt.yaml",
    ),
}


@pytest.mark.parametrize("chained", sorted(CHAINED))
def test_b_g_i_reuse_the_cpt_and_share_the_sft(chained):
    """B/G/I: the CPT stage is A/E/H's own stage; the SFT stage is C/F/J's (same hash, folder)."""
    from medfr_eval.core.resources import recipes_dir

    root = recipes_dir()
    up_path, sft_path = CHAINED[chained]
    recipe = load_recipe(root / chained, check_data=False)
    upstream = load_recipe(root / up_path, check_data=False)
    sft_only = load_recipe(root / sft_path, check_data=False)
    cpt, sft = recipe.stages
    assert cpt.reused_from["recipe"] == str((root / up_path).resolve())
    assert cpt.output_dir == upstream.output_dir
    assert cpt.hash == upstream.stages[0].hash
    assert sft.model.model_name_or_path == str(upstream.output_dir)
    assert sft.output_dir == sft_only.output_dir
    assert sft.hash == sft_only.stages[0].hash  # one model: trained once, whichever runs first


def _upstream(tmp_path: Path, tiny_model_dir: Path, strategy: str = "CPT") -> Path:
    data = "dataset_files: [corpus.txt]\nblock_size: 32\n"
    if strategy == "SFT":
        data = "dataset_files: [sft.jsonl]\n"
    return write_recipe(
        tmp_path / "up" / "cpt.yaml",
        f"# upstream\nstrategy: {strategy}\nmodel_name_or_path: {tiny_model_dir}\n{data}"
        f"output_dir: {tmp_path / 'out_cpt'}\nnum_train_epochs: 1\n",
    )


def _chained(tmp_path: Path, cpt_keys: str = "", name: str = "chained.yaml") -> Path:
    return write_recipe(
        tmp_path / name,
        f"""# chained, reusing the upstream CPT
strategy: CPT+SFT
output_dir: {tmp_path / "out_chained"}
stages:
  cpt:
    from_recipe: up/cpt.yaml{cpt_keys}
  sft:
    model_name_or_path: ${{cpt.output_dir}}
    dataset_files: [sft.jsonl]
    num_train_epochs: 1
""",
    )


def _finish(out: Path, stage_hash: str = "abc123", strategy: str = "CPT") -> None:
    """What a finished CPT leaves: its run card (the fields the reuse reads)."""
    out.mkdir(parents=True, exist_ok=True)
    rec = {"stage": "cpt", "stage_hash": stage_hash, "output_dir": str(out), "data": []}
    card = {"strategy": strategy, "stage_hash": stage_hash, "stages": [rec]}
    (out / "run_card.json").write_text(json.dumps(card), encoding="utf-8")


def test_missing_upstream_output_is_one_line_exit_2(tmp_path, tiny_model_dir, train_data, capsys):
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "corpus.txt").write_text(train_data["corpus"].read_text(encoding="utf-8"))
    _upstream(tmp_path, tiny_model_dir)
    chained = _chained(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    assert train_main(["check", str(chained)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {chained}:6: stages.cpt.from_recipe: ")
    assert "no finished CPT there" in line and "train it first" in line
    assert sorted(tmp_path.rglob("*")) == before  # nothing written
    # --skip-data: the plan is checked without the upstream output
    assert train_main(["check", str(chained), "--skip-data"]) == 0
    _finish(tmp_path / "out_cpt", strategy="SFT")  # a card, but not a CPT's
    with pytest.raises(RecipeError, match="no finished CPT there"):
        load_recipe(chained)
    _finish(tmp_path / "out_cpt")
    recipe = load_recipe(chained)
    assert recipe.stages[0].reused_from["stage_hash"] == "abc123"
    assert recipe.stages[1].model.model_name_or_path == str(tmp_path / "out_cpt")


def test_from_recipe_bad_inputs(tmp_path, tiny_model_dir, train_data, capsys):
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "sft.jsonl").write_text(train_data["sft"].read_text(encoding="utf-8"))
    _upstream(tmp_path, tiny_model_dir, strategy="SFT")
    chained = _chained(tmp_path)
    assert train_main(["check", str(chained), "--skip-data"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "stages.cpt.from_recipe: up/cpt.yaml: is a SFT recipe, not a CPT recipe" in line
    missing = _chained(tmp_path, name="m.yaml")
    missing.write_text(missing.read_text().replace("up/cpt.yaml", "up/absent.yaml"))
    with pytest.raises(RecipeError, match=r"from_recipe: up/absent.yaml: no such recipe"):
        load_recipe(missing, check_data=False)
    extra = _chained(tmp_path, "\n    learning_rate: 1.0e-4", name="x.yaml")
    with pytest.raises(RecipeError, match=r"stages.cpt.learning_rate: a reused stage takes"):
        load_recipe(extra, check_data=False)
    single = write_recipe(
        tmp_path / "single.yaml",
        f"# sft\nstrategy: SFT\nmodel_name_or_path: {tiny_model_dir}\n"
        f"dataset_files: [sft.jsonl]\noutput_dir: o\nfrom_recipe: up/cpt.yaml\n",
    )
    with pytest.raises(RecipeError, match=r"from_recipe: only the cpt stage of a CPT\+SFT"):
        load_recipe(single, check_data=False)


def test_only_stage_needs_the_earlier_stage_finished(tmp_path, tiny_model_dir, train_data):
    from medfr_train.runner import run_recipe

    recipe = write_recipe(
        tmp_path / "c.yaml",
        f"""# chained
strategy: CPT+SFT
output_dir: {tmp_path / "run"}
stages:
  cpt: {{model_name_or_path: {tiny_model_dir}, dataset_files: [corpus.txt], block_size: 32}}
  sft: {{model_name_or_path: "${{cpt.output_dir}}", dataset_files: [sft.jsonl]}}
""",
    )
    with pytest.raises(RecipeError, match=r"--only-stage: stage cpt is not finished"):
        run_recipe(recipe, only_stage="sft")
    assert not (tmp_path / "run").exists()
    with pytest.raises(RecipeError, match=r"--only-stage: the recipe has no cpt stage"):
        run_recipe(_upstream_sft(tmp_path, tiny_model_dir), only_stage="cpt")


def _upstream_sft(tmp_path: Path, tiny_model_dir: Path) -> Path:
    return write_recipe(
        tmp_path / "s.yaml",
        f"# sft\nstrategy: SFT\nmodel_name_or_path: {tiny_model_dir}\n"
        f"dataset_files: [sft.jsonl]\noutput_dir: {tmp_path / 'o'}\n",
    )


@pytest.mark.slow
def test_reused_cpt_is_not_retrained_and_the_card_says_which(tmp_path, tiny_model_dir, train_data):
    """End to end on the tiny model: train the CPT once, then the chained recipe reuses it."""
    from medfr_train.runcard import read_card
    from medfr_train.runner import run_recipe

    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "corpus.txt").write_text(train_data["corpus"].read_text(encoding="utf-8"))
    up = _upstream(tmp_path, tiny_model_dir)
    run_recipe(up, ["--save_strategy", "no", "--report_to", "none"])
    cpt_card = read_card(tmp_path / "out_cpt")
    mtime = (tmp_path / "out_cpt" / "run_card.json").stat().st_mtime_ns
    chained = _chained(tmp_path)
    result = run_recipe(chained, ["--save_strategy", "no", "--per_device_train_batch_size", "2"])
    assert result.reused == ["cpt"]
    assert (tmp_path / "out_cpt" / "run_card.json").stat().st_mtime_ns == mtime  # untouched
    card = read_card(result.model_dir)
    assert card["strategy"] == "CPT+SFT"
    (reused,) = card["reused"]
    assert reused["recipe"] == str(up.resolve())
    assert reused["stage_hash"] == cpt_card["stage_hash"]
    assert card["stages"][0]["reused_from"] == reused
    assert card["excluding_reused"]["gpu_hours"] == card["stages"][1]["gpu_hours"]
