"""End-to-end recipe runs on the tiny model: CPT loss goes down, CPT then SFT chains, run cards."""

from __future__ import annotations

import json

import pytest
from train_helpers import write_recipe

from medfr_eval.cli import train_main as main
from medfr_train.runner import run_recipe


def test_cpt_loss_goes_down_and_run_card(cpt_recipe):
    from transformers import TrainerState

    res = run_recipe(
        cpt_recipe,
        "--num_train_epochs 3 --learning_rate 5e-3 --per_device_train_batch_size 8"
        " --save_strategy steps --save_steps 1000".split(),
    )
    out = res.model_dir
    assert (out / "model.safetensors").exists() and (out / "tokenizer.json").exists()
    card = json.loads((out / "run_card.json").read_text())
    (stage,) = card["stages"]
    for key in (
        "model_name",
        "base_model",
        "strategy",
        "recipe",
        "versions",
        "data",
        "tokens_seen",
        "wall_time_s",
        "gpu_hours",
        "hardware",
        "energy_kwh",
        "kgco2e",
        "cost_usd",
    ):
        assert key in card, key
    assert (
        card["strategy"] == "CPT" and card["gpu_hours"] == 0 and card["hardware"]["device"] == "cpu"
    )
    pk = stage["packing"]
    # every trained token is a token of a full block: 3 epochs over all blocks
    assert card["tokens_seen"] == 3 * pk["blocks"] * pk["block_size"]
    assert len(card["data"][0]["sha256"]) == 64
    assert not list(out.glob("*.tmp"))
    (ckpt,) = sorted(out.glob("checkpoint-*"))
    state = TrainerState.load_from_json(str(ckpt / "trainer_state.json"))
    losses = [h["loss"] for h in state.log_history if "loss" in h]
    assert len(losses) > 6
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < first - 0.5, losses


@pytest.mark.slow
def test_cpt_then_sft_chain_merge_and_skip(tmp_path, tiny_model_dir, train_data, capsys):
    p = write_recipe(
        tmp_path / "chain.yaml",
        f"""# chained
strategy: CPT+SFT
model_name: Tiny-CPT-SFT
output_dir: {tmp_path / "out"}
gradient_checkpointing: false
save_strategy: "no"
run_card: {{carbon_intensity_kg_per_kwh: 0.05, price_per_gpu_hour: 2.0}}
stages:
  cpt:
    model_name_or_path: {tiny_model_dir}
    dataset_files: [corpus.txt]
    block_size: 32
    per_device_train_batch_size: 4
    num_train_epochs: 1
    learning_rate: 1.0e-3
  sft:
    model_name_or_path: ${{cpt.output_dir}}
    dataset_files: [sft.jsonl]
    max_length: 256
    per_device_train_batch_size: 2
    num_train_epochs: 1
    learning_rate: 1.0e-3
    use_peft: true
    use_dora: true
    lora_target_modules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]
    lora_dropout: 0.0
""",
    )
    # no merge: the SFT output is a DoRA adapter on top of the CPT model
    res = run_recipe(p)
    cpt_dir, sft_dir = res.output_dirs
    adapter = json.loads((sft_dir / "adapter_config.json").read_text())
    assert adapter["use_dora"] is True and adapter["base_model_name_or_path"] == str(cpt_dir)
    assert sorted(adapter["target_modules"]) == sorted(
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )
    card = json.loads((sft_dir / "run_card.json").read_text())
    assert card["strategy"] == "CPT+SFT" and [s["stage"] for s in card["stages"]] == ["cpt", "sft"]
    assert card["tokens_seen"] == sum(s["tokens_seen"] for s in card["stages"]) > 0
    assert json.loads((cpt_dir / "run_card.json").read_text())["strategy"] == "CPT"
    # rerun: both stages are done with the same settings -> skipped, nothing retrained
    mtime = (cpt_dir / "model.safetensors").stat().st_mtime_ns
    assert main(["recipe", str(p)]) == 0
    assert "stage cpt: already done" in capsys.readouterr().out
    assert (cpt_dir / "model.safetensors").stat().st_mtime_ns == mtime
    # a changed SFT setting retrains only the SFT stage, here with the merge option
    res2 = run_recipe(p, ["--stage.sft.merge_adapter", "true"])
    assert res2.skipped == ["cpt"]
    assert (sft_dir / "model.safetensors").exists()
    from transformers import AutoModelForCausalLM

    merged = AutoModelForCausalLM.from_pretrained(sft_dir)
    assert not any("lora" in n for n, _ in merged.named_parameters())
