"""The three decoding modes through real lm-eval on tiny models (HF backend)."""

from __future__ import annotations

import logging

import pytest

from medfr_eval.core.errors import MedfrError
from medfr_eval.data.load import load_records

SINGLE = "medqa_5opt"


def _samples(out, task):
    return out["samples"][task]


def test_free_generation_with_plain_hf(evaluate, tiny_model_dir):
    out = evaluate("hf", tiny_model_dir, [f"medfr_{SINGLE}_gen", "medfr_frmedmcqa_gen"])
    res = out["results"][f"medfr_{SINGLE}_gen"]
    assert {"acc,strict", "parse_fail,strict"} <= set(res)
    assert "ece,strict" not in res  # plain hf attaches no letter probabilities
    for s in _samples(out, f"medfr_{SINGLE}_gen"):
        (parsed,) = s["filtered_resps"]
        assert parsed["text"] == s["resps"][0][0]
        assert parsed["letter_probs"] is None
        assert parsed["parse_fail"] == (parsed["letters"] == [])
        assert s["acc"] == float(parsed["letters"] == [s["target"]])
    assert len(_samples(out, "medfr_frmedmcqa_gen")) == len(load_records("frmedmcqa", "sample"))
    cfg = out["configs"]["medfr_frmedmcqa_gen"]["generation_kwargs"]
    assert cfg["max_gen_toks"] == 10 and cfg["until"] == []


def test_free_generation_with_medfr_hf_logs_letter_probs(evaluate, tiny_model_dir):
    out = evaluate("medfr-hf", tiny_model_dir, [f"medfr_{SINGLE}_gen"])
    res = out["results"][f"medfr_{SINGLE}_gen"]
    assert 0.0 <= res["ece,strict"] <= 1.0 and 0.0 <= res["brier,strict"] <= 2.0
    for s in _samples(out, f"medfr_{SINGLE}_gen"):
        probs = s["filtered_resps"][0]["letter_probs"]
        assert list(probs) == list("ABCDE")
        assert sum(probs.values()) == pytest.approx(1.0)
        assert s["ece"]["probs"] == probs


def test_same_generation_with_hf_and_medfr_hf(evaluate, tiny_model_dir):
    """The medfr class changes nothing in free generation; it only observes."""
    plain = evaluate("hf", tiny_model_dir, [f"medfr_{SINGLE}_gen"])
    ours = evaluate("medfr-hf", tiny_model_dir, [f"medfr_{SINGLE}_gen"])
    texts = [s["resps"] for s in _samples(plain, f"medfr_{SINGLE}_gen")]
    assert texts == [s["resps"] for s in _samples(ours, f"medfr_{SINGLE}_gen")]


def test_constrained_single_answer_always_a_letter(evaluate, tiny_model_dir):
    out = evaluate(
        "medfr-hf", tiny_model_dir, [f"medfr_{SINGLE}_constrained", "medfr_pubmedqa_constrained"]
    )
    for task, letters in (
        (f"medfr_{SINGLE}_constrained", "ABCDE"),
        ("medfr_pubmedqa_constrained", "ABC"),
    ):
        assert out["results"][task]["parse_fail,strict"] == 0.0
        for s in _samples(out, task):
            parsed = s["filtered_resps"][0]
            assert len(parsed["letters"]) == 1 and parsed["letters"][0] in letters
            assert s["resps"][0][0].strip() in letters
            assert set(parsed["letter_probs"]) == set(letters)


def test_constrained_multi_answer_reads_the_tuned_set(evaluate, multi_tuned_dir):
    out = evaluate("medfr-hf", multi_tuned_dir, ["medfr_frmedmcqa_constrained"])
    samples = _samples(out, "medfr_frmedmcqa_constrained")
    assert [s["filtered_resps"][0]["letters"] for s in samples] == [["A", "C"]] * len(samples)
    for s in samples:
        assert set(s["resps"][0][0]) <= set("ABCDE ,")
        assert s["emr"] == float(s["target"] == "A C")


def test_constrained_is_refused_on_plain_hf_before_loading(evaluate, tmp_path):
    missing = tmp_path / "no_model_here"  # loading it would fail with another error
    with pytest.raises(MedfrError, match="--model medfr-hf"):
        evaluate("hf", missing, ["medfr_all_constrained"])


def test_fallback_when_letters_are_not_single_tokens(evaluate, tiny_model_dir, monkeypatch, caplog):
    """A tokenizer that splits letters: constrained decoding scores summed tokens, and says so."""
    from medfr_eval.mcq import generation
    from medfr_eval.mcq.constrained import LetterForms

    monkeypatch.setattr(
        generation.MedfrGenerationMixin,
        "_medfr_forms",
        lambda self, letters, rule="medfr": LetterForms({}, tuple(letters)),
    )
    with caplog.at_level(logging.WARNING, logger="medfr_eval.mcq.generation"):
        out = evaluate("medfr-hf", tiny_model_dir, ["medfr_pubmedqa_constrained"])
    assert "not single tokens" in caplog.text
    restricted = evaluate("hf", tiny_model_dir, ["medfr_pubmedqa"])
    for s, r in zip(
        _samples(out, "medfr_pubmedqa_constrained"), _samples(restricted, "medfr_pubmedqa")
    ):
        parsed = s["filtered_resps"][0]
        assert "summed log-probability" in parsed["letter_note"]
        lls = [x[0] for x in r["filtered_resps"]]
        assert parsed["letters"] == ["ABC"[max(range(3), key=lambda i: lls[i])]]


def test_constrained_group_is_the_mean_of_its_sets(evaluate, tiny_model_dir):
    out = evaluate("medfr-hf", tiny_model_dir, ["medfr_mcq_native_constrained"])
    res = out["results"]
    members = [res["medfr_frbmedqa_constrained"], res["medfr_frmedmcqa_constrained"]]
    expected = sum(m["acc,strict"] for m in members) / 2
    assert res["medfr_mcq_native_constrained"]["acc,strict"] == pytest.approx(expected)
