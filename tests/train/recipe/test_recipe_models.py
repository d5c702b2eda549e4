"""A stage starting from a local model folder that is not there: one line saying what makes it."""

from __future__ import annotations

import pytest

from medfr_eval.cli import train_main as main
from medfr_eval.core.resources import recipes_dir
from medfr_train.recipe.models import looks_like_path

DEMO = recipes_dir() / "demo"


def _one_line(err: str) -> str:
    (line,) = err.strip().splitlines()
    return line


def test_the_demo_without_its_base_names_the_recipe_that_makes_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["recipe", str(DEMO / "cpt_sft.yaml")]) == 2
    line = _one_line(capsys.readouterr().err)
    pretrain = DEMO / "pretrain.yaml"
    assert line.startswith(f"error: {DEMO / 'cpt_sft.yaml'}:")
    assert "stages.cpt.model_name_or_path: outputs/demo/tiny-base: no such model folder" in line
    assert line.endswith(f"{pretrain} makes it: run first: medfr-train recipe {pretrain}")
    assert not (tmp_path / "outputs").exists()
    assert main(["check", str(DEMO / "sft.yaml")]) == 2  # check says what recipe would refuse
    assert "medfr-train recipe" in _one_line(capsys.readouterr().err)


def test_a_missing_folder_no_recipe_makes_gets_the_recipes_needs_line(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert main(["recipe", str(DEMO / "pretrain.yaml")]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "model_name_or_path: outputs/demo/tiny-random: no such model folder" in line
    assert "Needs: the tiny random model, built with python -c" in line


def test_the_check_can_skip_it_and_a_hub_id_is_left_to_the_hub(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(DEMO / "cpt_sft.yaml"), "--skip-data"]) == 0
    capsys.readouterr()
    recipe = tmp_path / "hub.yaml"
    recipe.write_text(
        "strategy: CPT\nmodel_name_or_path: some-org/some-model\ndataset_files: [c.txt]\n"
        "block_size: 32\noutput_dir: o\n",
        encoding="utf-8",
    )
    (tmp_path / "c.txt").write_text("Un texte médical de test.\n", encoding="utf-8")
    assert main(["check", str(recipe)]) == 0
    assert "context length not checked (some-org/some-model" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("outputs/demo/tiny-base", True),
        ("./model", True),
        ("/abs/model", True),
        ("~/models/m", True),
        ("models/", True),
        ("mistralai/Mistral-7B-v0.1", False),
        ("gpt2", False),
    ],
)
def test_which_names_can_only_be_paths(name, path):
    assert looks_like_path(name) is path
