"""Logged letter probabilities come from the raw logits, also under a generation-config penalty."""

from __future__ import annotations

import shutil

import pytest

TASKS = ["medfr_pubmedqa_constrained", "medfr_pubmedqa_gen"]


def _letter_probs(logits, tok, letters):
    """Softmax over the letters of ``logits``' log-probabilities, "A" and " A" forms merged."""
    import torch

    from medfr_eval.mcq.tokens import medfr_forms

    logp = torch.log_softmax(logits.float(), dim=-1)
    forms = medfr_forms(tok, letters)
    merged = torch.stack([torch.logsumexp(logp[list(forms.ids[x])], 0) for x in letters])
    return dict(zip(letters, torch.softmax(merged, 0).tolist()))


@pytest.fixture(scope="module")
def penalised_dir(tiny_model_dir, tmp_path_factory):
    from transformers import GenerationConfig

    out = tmp_path_factory.mktemp("penalised") / "m"
    shutil.copytree(tiny_model_dir, out)
    config = GenerationConfig.from_pretrained(out)
    config.repetition_penalty = 2.0
    config.save_pretrained(out)
    return out


def test_letter_probs_are_raw_and_decoding_ones_penalised(evaluate, penalised_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, RepetitionPenaltyLogitsProcessor

    out = evaluate("medfr-hf", penalised_dir, TASKS)
    tok = AutoTokenizer.from_pretrained(penalised_dir)
    model = AutoModelForCausalLM.from_pretrained(penalised_dir, dtype=torch.float32)
    penalty = RepetitionPenaltyLogitsProcessor(2.0)
    gap = 0.0
    for task in TASKS:
        for s in out["samples"][task]:
            ids = torch.tensor([tok(s["doc"]["prompt"], add_special_tokens=False)["input_ids"]])
            with torch.no_grad():
                raw = model(ids).logits[:, -1, :]
            parsed = s["filtered_resps"][0]
            letters = list(parsed["letter_probs"])
            expected_raw = _letter_probs(raw[0], tok, letters)
            expected_dec = _letter_probs(penalty(ids, raw.clone())[0], tok, letters)
            assert parsed["letter_probs"] == pytest.approx(expected_raw, abs=1e-5)
            assert parsed["letter_probs_decoding"] == pytest.approx(expected_dec, abs=1e-5)
            assert s["ece"]["probs"] == parsed["letter_probs"]  # calibration reads the raw ones
            gap = max(gap, *(abs(expected_raw[x] - expected_dec[x]) for x in letters))
    assert gap > 1e-3  # the penalty does move the letters of these prompts
