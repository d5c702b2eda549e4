"""The authors' chat layout as a named template; the tokenizer's own stays available."""

from __future__ import annotations

import pytest
from train_helpers import write_recipe

from medfr_train.chat_templates import STUDY_CHAT_TEMPLATE, resolve
from medfr_train.errors import RecipeError
from medfr_train.recipe import load_recipe

MESSAGES = [
    {"role": "user", "content": "Quel organe sécrète l'insuline ?"},
    {"role": "assistant", "content": "Le pancréas."},
]


def test_study_template_renders_the_authors_layout(tiny_tokenizer):
    tiny_tokenizer.chat_template = STUDY_CHAT_TEMPLATE
    text = tiny_tokenizer.apply_chat_template(MESSAGES, tokenize=False)
    eos = tiny_tokenizer.eos_token
    assert text == f"<|user|>Quel organe sécrète l'insuline ?{eos}<|assistant|>Le pancréas.{eos}"
    prompt = tiny_tokenizer.apply_chat_template(
        MESSAGES[:1], tokenize=False, add_generation_prompt=True
    )
    assert prompt.endswith(f"{eos}<|assistant|>")


def test_resolve_named_own_fallback():
    assert resolve("study", "OWN", "FALLBACK") == STUDY_CHAT_TEMPLATE
    assert resolve("tokenizer", "OWN", "FALLBACK") == "OWN"
    assert resolve(None, "OWN", "FALLBACK") == "OWN"
    assert resolve(None, None, "FALLBACK") == "FALLBACK"


def test_sft_tokenizer_gets_the_named_template(tmp_path, tiny_model_dir, train_data):
    from medfr_train.sft import load_tokenizer

    base = f"# sft\nstrategy: SFT\nmodel_name_or_path: {tiny_model_dir}\n"
    base += f"dataset_files: [sft.jsonl]\noutput_dir: {tmp_path / 'o'}\n"
    study = load_recipe(write_recipe(tmp_path / "a.yaml", base + "chat_template: study\n"))
    assert load_tokenizer(study.stages[0]).chat_template == STUDY_CHAT_TEMPLATE
    own = load_recipe(write_recipe(tmp_path / "b.yaml", base))
    assert load_tokenizer(own.stages[0]).chat_template != STUDY_CHAT_TEMPLATE
    with pytest.raises(RecipeError, match=r"b2.yaml:6: chat_template: unknown template 'zephyr'"):
        load_recipe(write_recipe(tmp_path / "b2.yaml", base + "chat_template: zephyr\n"))


def test_framing_and_template_keys_stay_in_their_stage(tmp_path, tiny_model_dir, train_data):
    cpt = f"# cpt\nstrategy: CPT\nmodel_name_or_path: {tiny_model_dir}\n"
    cpt += f"dataset_files: [corpus.txt]\nblock_size: 32\noutput_dir: {tmp_path / 'o'}\n"
    with pytest.raises(RecipeError, match=r"chat_template: is an SFT key"):
        load_recipe(write_recipe(tmp_path / "c.yaml", cpt + "chat_template: study\n"))
    with pytest.raises(RecipeError, match=r"document_framing: invalid choice"):
        load_recipe(write_recipe(tmp_path / "d.yaml", cpt + "document_framing: aucun\n"))
    assert load_recipe(write_recipe(tmp_path / "e.yaml", cpt)).stages[0].document_framing == (
        "bos+eos"
    )
