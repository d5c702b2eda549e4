"""Every task builds its requests and runs end to end through lm_eval.simple_evaluate."""

from __future__ import annotations

import math

import pytest

from medfr_eval.core.sets import GROUPS, SETS
from medfr_eval.data.load import build_docs, load_records


@pytest.fixture(scope="module")
def run_all(tiny_medfr_run):
    """One evaluation of all 15 sets on the shipped samples with the tiny model."""
    return tiny_medfr_run[0]


def test_every_set_is_scored(run_all):
    results = run_all["results"]
    for s in SETS:
        assert s.task in results, s.task
        value = results[s.task][s.result_key]
        assert 0.0 <= value <= 1.0 and not math.isnan(value)
        assert len(run_all["samples"][s.task]) == len(load_records(s.name, "sample"))


def test_groups_are_unweighted_means(run_all):
    results = run_all["results"]
    for group in ("medfr_mmlu", "medfr_mcq_translated", "medfr_mcq_native"):
        members = [t for t in GROUPS[group]]
        expected = sum(results[t]["acc,none"] for t in members) / len(members)
        assert results[group]["acc,none"] == pytest.approx(expected)
    openqa = GROUPS["medfr_openqa"]
    expected = sum(results[t]["bertscore_f1,bertscore"] for t in openqa) / len(openqa)
    assert results["medfr_openqa"]["bertscore_f1,bertscore"] == pytest.approx(expected)


def test_mcq_requests_are_the_allowed_letters(run_all):
    for s in SETS:
        if s.kind != "mcq":
            continue
        for sample in run_all["samples"][s.task]:
            continuations = [arg[1] for arg in sample["arguments"]]
            assert continuations == [" " + letter for letter in s.letters]
            assert sample["arguments"][0][0] == sample["doc"]["prompt"]
            assert sample["arguments"][0][0].endswith("Réponse :")


def test_multi_answer_requests_cover_31_sets(run_all):
    samples = run_all["samples"]["medfr_frmedmcqa"]
    for sample in samples:
        assert len(sample["arguments"]) == 31
        assert {"acc", "emr", "hamming"} <= set(sample)
        assert sample["emr"] == sample["acc"]
        assert 0.0 <= sample["hamming"] <= 1.0


def test_openqa_per_sample_f1_in_log(run_all):
    for task in GROUPS["medfr_openqa"]:
        for sample in run_all["samples"][task]:
            assert 0.0 <= sample["bertscore_f1"] <= 1.0 + 1e-6
            scored = sample["filtered_resps"][0]
            assert scored["bertscore_f1"] == sample["bertscore_f1"]


def test_frclinicalqa_prompt_chains_previous_questions(run_all):
    records = load_records("frclinicalqa", "sample")
    docs = {
        d["id"]: d for d in build_docs(next(s for s in SETS if s.name == "frclinicalqa"), records)
    }
    for sample in run_all["samples"]["medfr_frclinicalqa"]:
        doc = docs[sample["doc"]["id"]]
        earlier = sorted(
            (
                r
                for r in records
                if r["case_id"] == doc["case_id"] and r["position"] < doc["position"]
            ),
            key=lambda r: r["position"],
        )
        prompt = sample["arguments"][0][0]
        assert doc["case"] in prompt
        positions = [prompt.index(r["question"]) for r in earlier]
        assert positions == sorted(positions)
        for r in earlier:
            assert r["answer"] not in prompt  # questions only, never their answers
        assert prompt.rstrip().endswith("Question : " + doc["question"] + "\nRéponse :")


def test_restricted_accuracy_equals_independent_letter_argmax(run_all, tiny_model_dir):
    """lm-eval's acc must equal an argmax over the letter logits computed with bare transformers."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()
    for task in ("medfr_medqa_5opt", "medfr_pubmedqa", "medfr_frbmedqa"):
        for sample in run_all["samples"][task]:
            prompt = sample["arguments"][0][0]
            letters = sample["doc"]["choices"]
            ids = tok(prompt, return_tensors="pt")["input_ids"]
            with torch.no_grad():
                logits = model(ids).logits[0, -1]
            letter_ids = [tok(" " + x, add_special_tokens=False)["input_ids"][0] for x in letters]
            pick = int(torch.argmax(logits[letter_ids]))
            assert sample["acc"] == float(pick == sample["doc"]["gold"]), (task, sample["doc_id"])
