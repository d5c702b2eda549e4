"""SFT: French chat formatting of the schema, and DoRA that is really DoRA."""

from __future__ import annotations

from train_helpers import SFT_ROWS

from medfr_train.recipe import DORA_TARGETS
from medfr_train.sft import DEFAULT_CHAT_TEMPLATE, to_messages


def test_chat_turns_in_french():
    mcq, multi, open_, ctx_mcq = (to_messages(r) for r in SFT_ROWS)
    assert [m["role"] for m in mcq] == ["user", "assistant"]
    assert "A : Amoxicilline\nB : Vancomycine" in mcq[0]["content"]
    assert "une seule proposition est juste" in mcq[0]["content"].lower()
    assert mcq[1]["content"] == "A"
    assert multi[1]["content"] == "A B D" and "plusieurs" in multi[0]["content"]
    assert open_[0]["content"].startswith("Répondez brièvement")
    assert "Contexte : Une femme de 30 ans" in open_[0]["content"]
    assert "Contexte :" in ctx_mcq[0]["content"] and "Explication :" in ctx_mcq[1]["content"]


def test_default_template_for_models_without_one(tiny_tokenizer):
    tok = tiny_tokenizer
    saved, tok.chat_template = tok.chat_template, DEFAULT_CHAT_TEMPLATE
    try:
        text = tok.apply_chat_template(to_messages(SFT_ROWS[0]), tokenize=False)
    finally:
        tok.chat_template = saved
    assert text.startswith(tok.bos_token + "[INST] ") and text.endswith(" A" + tok.eos_token)


def test_dora_magnitude_vectors_on_the_seven_projections(tiny_model_dir):
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM
    from trl import ModelConfig, get_peft_config

    from medfr_eval.core.resources import recipes_dir
    from medfr_train.recipe import load_recipe

    study = recipes_dir() / "medmistral-sft-7b" / "sft" / "config_dora.yaml"
    (stage,) = load_recipe(study, check_data=False).stages
    keys = {k: v for k, v in stage.values.items() if k.startswith(("lora_", "use_"))}
    cfg = get_peft_config(ModelConfig(model_name_or_path=str(tiny_model_dir), **keys))
    assert cfg.use_dora and cfg.r == 16 and cfg.lora_alpha == 16
    from medfr_train.sft import peft_reads_the_old_checkpointing_name

    with peft_reads_the_old_checkpointing_name():  # peft reads the deprecated name
        model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir), cfg)
    names = [n for n, _ in model.named_parameters() if "lora_magnitude_vector" in n]
    layers = model.config.num_hidden_layers
    assert len(names) == 7 * layers
    assert {n.split(".lora_magnitude_vector")[0].rsplit(".", 1)[1] for n in names} == set(
        DORA_TARGETS
    )
