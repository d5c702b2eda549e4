"""The run card reproduces Table 8 through its own path (run_card.footprint_profile: study)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from medfr_eval.core.resources import recipes_dir
from medfr_train import footprint as fp
from medfr_train.recipe import load_recipe
from medfr_train.runcard import build_card, stage_costs

DEVICE = {"H100": "NVIDIA H100 80GB HBM3", "A100": "NVIDIA A100-SXM4-80GB",
          "A40": "NVIDIA A40", "L40": "NVIDIA L40"}  # fmt: skip

#: study recipe -> the Table 8 row of the job it runs (the SFT after CPT: H100 or A100, ours)
RECIPE_ROW = {
    "medmistral-cpt-7b/cpt/config_full.yaml": "MedMistral-CPT-7B",
    "medmistralinstruct-cpt-7b/cpt/config_full.yaml": "MedMistralInstruct-CPT-7B",
    "biomistral-cpt-7b/cpt/config_full.yaml": "BioMistral-CPT-7B",
    "medmistral-sft-7b/sft/config_dora.yaml": "MedMistral-SFT-7B",
    "biomistral-sft-7b/sft/config_dora.yaml": "BioMistral-SFT-7B",
    "medmistral-cpt-sft-7b/sft/config_from_medmistral_cpt.yaml": "SFT stage after CPT (H100)",
    "medmistral-cpt-sft-7b/cpt_sft/config_from_mistral.yaml": "SFT stage after CPT (H100)",
    "biomistral-cpt-sft-7b/sft/config_from_biomistral_cpt.yaml": "SFT stage after CPT (H100)",
    "biomistral-cpt-sft-7b/cpt_sft/config_from_biomistral.yaml": "SFT stage after CPT (H100)",
    "medmistralinstruct-cpt-sft-7b/sft/config_from_medmistralinstruct_cpt.yaml": (
        "SFT stage after CPT (A100)"
    ),
    "medmistralinstruct-cpt-sft-7b/cpt_sft/config_from_mistral_instruct.yaml": (
        "SFT stage after CPT (A100)"
    ),
}
ROWS = {r.model: r for r in fp.TABLE8}
STUDY = {"footprint_profile": "study"}


@pytest.mark.parametrize("row", fp.TABLE8, ids=lambda r: r.model)
def test_every_table8_row_through_the_run_card(row):
    hw = {"device": "cuda", "gpu_name": DEVICE[row.gpu], "num_gpus": row.gpus}
    rec = stage_costs(hw, row.hours * 3600, STUDY)
    assert rec["footprint_profile"] == "study"
    assert rec["gpu_hours"] == pytest.approx(row.gpu_hours)
    assert rec["kgco2e"] == pytest.approx(row.kgco2e, rel=0.01)
    assert rec["cost_usd"] == pytest.approx(row.usd, rel=0.01)


def test_every_study_recipe_names_its_table8_gpu():
    """The recipe's run_card names the GPU and count of its Table 8 row; a device whose name
    says no type (e.g. a renamed GPU) is costed as the recipe's GPU."""
    shipped = {str(p.relative_to(recipes_dir())) for p in recipes_dir().rglob("config_*.yaml")}
    assert shipped == set(RECIPE_ROW)
    for rel, model in RECIPE_ROW.items():
        row = ROWS[model]
        rc = load_recipe(recipes_dir() / rel, check_data=False).run_card
        assert rc["footprint_profile"] == "study", rel
        assert fp.gpu_type(rc["gpu_name"]) == row.gpu, rel
        assert rc["gpu_count"] == row.gpus, rel
        hw = {"device": "cuda", "gpu_name": "GPU 0", "num_gpus": row.gpus}
        rec = stage_costs(hw, row.hours * 3600, rc)
        assert rec["kgco2e"] == pytest.approx(row.kgco2e, rel=0.01), rel
        assert rec["cost_usd"] == pytest.approx(row.usd, rel=0.01), rel


def test_tdp_profile_is_the_default_and_unchanged():
    hw = {"device": "cuda", "gpu_name": DEVICE["H100"], "num_gpus": 2}
    opts = {"gpu_tdp_watts": 700, "carbon_intensity_kg_per_kwh": 0.05, "price_per_gpu_hour": 2.0}
    rec = stage_costs(hw, 3600, opts)
    assert rec["footprint_profile"] == "tdp"
    assert rec["energy_kwh"] == pytest.approx(1.4) and rec["kgco2e"] == pytest.approx(0.07)
    assert rec["cost_usd"] == pytest.approx(4.0)
    cpu = stage_costs({"device": "cpu", "num_gpus": 0}, 60, STUDY)
    assert cpu["kgco2e"] == 0.0 and cpu["gpu_hours"] == 0


def test_chained_card_counts_the_reused_cpt_once():
    """B's card: A's CPT (reused, 32 x H100 x 12 h) + the SFT (1 x H100 x 42 h)."""
    a, sft = ROWS["MedMistral-CPT-7B"], ROWS["SFT stage after CPT (H100)"]

    def rec(stage, row, **extra):
        hw = {"device": "cuda", "gpu_name": DEVICE[row.gpu], "num_gpus": row.gpus}
        base = {"stage": stage, "stage_hash": stage, "output_dir": f"out/{stage}", "data": [],
                "tokens_seen": 0, "wall_time_s": row.hours * 3600, "hardware": hw}  # fmt: skip
        return {**base, **stage_costs(hw, row.hours * 3600, STUDY), **extra}

    reused = {"recipe": "a.yaml", "model_name": "MedMistral-CPT-7B", "stage_hash": "cpt"}
    records = [rec("cpt", a, reused_from=reused), rec("sft", sft)]
    recipe = SimpleNamespace(
        run_card=STUDY, model_name="MedMistral-CPT-SFT-7B", base_model="Mistral-7B-v0.1",
        strategy="CPT+SFT", path="b.yaml", resolved=lambda: {},
    )  # fmt: skip
    card = build_card(recipe, records, "CPT+SFT")
    assert card["reused"] == [reused]
    assert card["kgco2e"] == pytest.approx(a.kgco2e + sft.kgco2e, rel=0.01)
    assert card["excluding_reused"]["kgco2e"] == pytest.approx(sft.kgco2e, rel=0.01)
    assert card["excluding_reused"]["cost_usd"] == pytest.approx(sft.usd, rel=0.01)
    assert card["footprint_profile"] == "study"


def test_negative_or_nan_run_card_figures_name_file_line_key(tmp_path, capsys):
    from medfr_eval.cli import train_main

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "strategy: CPT\nmodel_name_or_path: tiny\ndataset_files: [c.txt]\noutput_dir: o\n"
        "run_card: {carbon_intensity_kg_per_kwh: -5, price_per_gpu_hour: .nan}\n",
        encoding="utf-8",
    )
    assert train_main(["check", str(recipe), "--skip-data"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        f"error: {recipe}:5: run_card.carbon_intensity_kg_per_kwh: "
        "must be a finite number >= 0, got -5.0"
    )
    args = ["check", str(recipe), "--skip-data", "--run_card.carbon_intensity_kg_per_kwh", "0.05"]
    assert train_main(args) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert (
        line
        == f"error: {recipe}:5: run_card.price_per_gpu_hour: must be a finite number >= 0, got nan"
    )
    fixed = [*args, "--run_card.price_per_gpu_hour", "1"]
    assert train_main([*fixed, "--run_card.gpu_tdp_watts", "inf"]) == 2
    assert (
        "command line: --run_card.gpu_tdp_watts: must be a finite number" in capsys.readouterr().err
    )
