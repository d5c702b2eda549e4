"""A run card never holds a secret: ``--hub_token`` and friends are recorded as "<redacted>"."""

from __future__ import annotations

import json

from medfr_eval.cli import train_main as main
from medfr_eval.core.secret_keys import REDACTED
from medfr_train.recipe import load_recipe
from medfr_train.runcard import read_card, write_card

TOKEN = "hf_NotARealTokenButSecret0123"


def test_hub_token_given_on_the_command_line_is_redacted_in_the_run_card(
    cpt_recipe, capsys, monkeypatch
):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    out = cpt_recipe.parent / "out_cpt"
    assert main(["recipe", str(cpt_recipe), "--hub_token", TOKEN, "--max_steps", "1"]) == 0
    text = (out / "run_card.json").read_text(encoding="utf-8")
    assert TOKEN not in text
    card = json.loads(text)
    assert card["recipe"]["stages"]["cpt"]["hub_token"] == REDACTED
    assert card["tokens_seen"] > 0  # a count, not a secret
    assert TOKEN not in capsys.readouterr().out


def test_a_secret_anywhere_in_a_card_is_redacted(tmp_path):
    card = {
        "model_name": "m",
        "recipe": {"run_card": {"price_per_gpu_hour": 1.0}, "stages": {"sft": {"hub_token": None}}},
        "stages": [{"stage": "sft", "extra": {"wandb_api_key": "k-123", "db_password": "pw"}}],
    }
    write_card(card, tmp_path)
    text = (tmp_path / "run_card.json").read_text(encoding="utf-8")
    assert "k-123" not in text and '"pw"' not in text
    back = read_card(tmp_path)
    assert back["stages"][0]["extra"] == {"wandb_api_key": REDACTED, "db_password": REDACTED}
    assert back["recipe"]["stages"]["sft"]["hub_token"] is None  # not given: nothing to hide


def test_a_new_hub_token_does_not_change_the_stage_identity(cpt_recipe):
    a = load_recipe(cpt_recipe, ["--hub_token", TOKEN]).stages[0].hash
    b = load_recipe(cpt_recipe, ["--hub_token", "hf_another"]).stages[0].hash
    assert a == b


def test_hub_token_reaches_no_file_of_the_model_folder(cpt_recipe, monkeypatch):
    """transformers pickles its arguments into training_args.bin: the token is not among them."""
    monkeypatch.delenv("HF_TOKEN", raising=False)
    out = cpt_recipe.parent / "out_cpt"
    assert main(["recipe", str(cpt_recipe), "--hub_token", TOKEN, "--max_steps", "1"]) == 0
    written = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.name == "training_args.bin" for p in written)
    assert [p for p in written if TOKEN.encode() in p.read_bytes()] == []
    import os

    assert os.environ.get("HF_TOKEN") == TOKEN  # how the Hub client gets it for push_to_hub
