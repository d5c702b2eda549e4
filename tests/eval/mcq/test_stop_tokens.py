"""An answer ends at the model's turn end, not only at the tokenizer's EOS (HF and vLLM settings)."""

from __future__ import annotations

import copy
import json

import pytest
from mcq_bigram import build_bigram_model, single_id

from medfr_eval.mcq.generation import Plan
from medfr_eval.mcq.tokens import authors_end_ids, authors_forms, medfr_forms, stop_token_ids
from medfr_eval.mcq.vllm_support import generation_eos, medfr_sampling_kwargs

ENDS = ["<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>"]  # the last one has no tag


@pytest.fixture()
def chat_tokenizer(tiny_tokenizer):
    tok = copy.deepcopy(tiny_tokenizer)
    tok.add_special_tokens({"additional_special_tokens": ENDS})
    return tok


def test_stop_tokens_are_eos_generation_config_and_turn_ends(chat_tokenizer):
    tok = chat_tokenizer
    im_end, eot, turn, end = (tok.convert_tokens_to_ids(t) for t in ENDS)
    assert stop_token_ids(tok) == tuple(sorted({tok.eos_token_id, im_end, eot, turn}))
    with_config = stop_token_ids(tok, generation_eos=[tok.eos_token_id, end])
    assert with_config == tuple(sorted({tok.eos_token_id, im_end, eot, turn, end}))
    forms = medfr_forms(tok, "ABCDE", generation_eos=end)
    assert forms.stops == with_config
    assert {im_end, end} <= set(forms.allowed(multi=True, first_step=False))
    assert not {im_end, end} & set(forms.allowed(multi=True, first_step=True))


def test_authors_ends_are_the_named_special_tokens(chat_tokenizer):
    """Their code scans ``special_tokens_map``: additional special tokens are not in it."""
    tok = chat_tokenizer
    assert authors_end_ids(tok) == (tok.eos_token_id,)
    tok.add_special_tokens({"pad_token": "<|eot_id|>"})
    assert authors_end_ids(tok) == tuple(sorted({tok.eos_token_id, tok.pad_token_id}))
    assert authors_forms(tok, "ABC").stops == (tok.eos_token_id,)  # generation stops at EOS only


def test_vllm_settings_stop_at_the_turn_end(chat_tokenizer):
    tok = chat_tokenizer
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    forms = medfr_forms(tok, "ABCDE")
    multi = medfr_sampling_kwargs({}, Plan("constrained", tuple("ABCDE"), True), forms)
    assert im_end in multi["stop_token_ids"] and im_end in multi["allowed_token_ids"]
    free = medfr_sampling_kwargs({"stop_token_ids": [7]}, Plan("free", tuple("ABCDE"), True), forms)
    assert set(free["stop_token_ids"]) == {7, *forms.stops} and "allowed_token_ids" not in free


def test_generation_eos_of_a_model_folder(tmp_path):
    (tmp_path / "generation_config.json").write_text(json.dumps({"eos_token_id": [2, 9]}))
    assert generation_eos(str(tmp_path)) == [2, 9]
    bare = tmp_path / "bare"
    bare.mkdir()
    assert generation_eos(str(bare), config=type("C", (), {"eos_token_id": 5})()) == 5


# " A C", then the turn end; past it the model would write " D" to the token cap
TURN_END = {
    "<prompt>": {" A": 5},
    " A": {" C": 5},
    " C": {"<|im_end|>": 5, " D": 3},
    "<|im_end|>": {" D": 5},
    " D": {" D": 5},
}


def _texts(out, task):
    return {
        (s["resps"][0][0], tuple(s["filtered_resps"][0]["letters"])) for s in out["samples"][task]
    }


def test_turn_end_that_is_not_the_eos_ends_the_answer(evaluate, tiny_model_dir, tmp_path):
    model = build_bigram_model(tiny_model_dir, tmp_path / "m", TURN_END, add_special=["<|im_end|>"])
    tasks = ["medfr_frmedmcqa_constrained", "medfr_frmedmcqa_gen"]
    ours = evaluate("medfr-hf", model, tasks)
    for task in tasks:
        assert _texts(ours, task) == {(" A C", ("A", "C"))}
    plain = evaluate("hf", model, ["medfr_frmedmcqa_gen"])  # stops at the generation config's EOS
    assert _texts(plain, "medfr_frmedmcqa_gen") == {(" A C" + " D" * 7, ("A", "C", "D"))}


def test_generation_config_eos_ends_the_answer(evaluate, tiny_model_dir, tmp_path):
    """A turn end with no telling name, listed in the model's generation config."""
    table = {**TURN_END, " C": {"<|end|>": 5, " D": 3}, "<|end|>": {" D": 5}}
    del table["<|im_end|>"]
    model = build_bigram_model(tiny_model_dir, tmp_path / "m", table, add_special=["<|end|>"])
    from transformers import AutoTokenizer, GenerationConfig

    end = single_id(AutoTokenizer.from_pretrained(model), "<|end|>")
    config = GenerationConfig.from_pretrained(model)
    config.eos_token_id = [config.eos_token_id, end]
    config.save_pretrained(model)
    out = evaluate("medfr-hf", model, ["medfr_frmedmcqa_constrained"])
    assert _texts(out, "medfr_frmedmcqa_constrained") == {(" A C", ("A", "C"))}
