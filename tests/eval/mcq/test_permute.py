"""Option permutations: gold remapping, the K+1 orders through lm-eval, the report over orders."""

from __future__ import annotations

import pytest

from medfr_eval.core.errors import DataError
from medfr_eval.mcq.modes import check_run
from medfr_eval.mcq.permute import check_permutations, permutation_report, shift_record


def test_shift_remaps_the_gold_letter():
    rec = {"id": "q1", "question": "?", "options": ["w", "x", "y", "z"], "answer": "C"}
    one = shift_record(rec, 1)
    assert one["options"] == ["x", "y", "z", "w"]
    assert one["answer"] == "B" and one["options"][1] == "y"  # the same text stays gold
    two = shift_record(rec, 2)
    assert two["answer"] == "A" and two["options"][0] == "y"
    assert shift_record({**rec, "answer": "A"}, 1)["answer"] == "D"
    assert one["id"] == "q1"


def test_permutation_count_checked():
    assert check_permutations(2, 4) == 2
    for bad in (-1, "2", 1.5, True):
        with pytest.raises(DataError, match="medfr_permutations"):
            check_permutations(bad)
    with pytest.raises(DataError, match="at most 2"):
        check_permutations(3, 3)


def test_bad_permutation_count_refused_before_loading():
    with pytest.raises(DataError, match="medfr_pubmedqa"):
        check_run("hf", ["medfr_all"], {"medfr_permutations": 3})
    with pytest.raises(DataError, match="integer"):
        check_run("hf", ["medfr_medqa_4opt"], '{"medfr_permutations": "x"}')
    check_run("hf", ["medfr_medqa_5opt_gen"], {"medfr_permutations": 4})
    with pytest.raises(DataError, match="medfr_mode"):
        check_run("hf", ["medfr_all"], {"medfr_mode": "beam"})


@pytest.fixture(scope="module")
def perm_run(tiny_model_dir):
    import lm_eval

    import medfr_eval

    tm = medfr_eval.task_manager(
        include_defaults=False, metadata={"medfr_data": "sample", "medfr_permutations": 2}
    )
    return lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={tiny_model_dir},dtype=float32",
        tasks=["medfr_medqa_4opt", "medfr_frmedmcqa"],
        task_manager=tm,
        log_samples=True,
        device="cpu",
        batch_size=8,
    )


def test_k_permutations_in_one_task(perm_run):
    from medfr_eval.data.load import load_records

    records = {r["id"]: r for r in load_records("medqa_4opt", "sample")}
    samples = perm_run["samples"]["medfr_medqa_4opt"]
    assert len(samples) == 3 * len(records)
    for s in samples:
        doc, rec = s["doc"], records[s["doc"]["id"]]
        gold_text = rec["options"]["ABCD".index(rec["answer"])]
        assert doc["options"][doc["gold"]] == gold_text
        assert doc["prompt"].count(f"{'ABCD'[doc['gold']]} : {gold_text}") == 1
    # multi-answer sets are not permuted
    assert len(perm_run["samples"]["medfr_frmedmcqa"]) == len(load_records("frmedmcqa", "sample"))
    report = permutation_report(samples)
    assert report["orders"] == [0, 1, 2] and report["n_items"] == len(records)
    acc = perm_run["results"]["medfr_medqa_4opt"]["acc,none"]
    assert report["mean_accuracy"] == pytest.approx(acc)
    assert 0.0 <= report["consistency"] <= 1.0
    assert sum(report["position_bias"]["gold"].values()) == 3 * len(records)
    results = perm_run["results"]["medfr_medqa_4opt"]
    assert results["consistency,none"] == pytest.approx(report["consistency"])
    assert results["position_bias,none"] == pytest.approx(
        report["position_bias"]["total_variation"]
    )
    assert "consistency,none" not in perm_run["results"]["medfr_frmedmcqa"]


def test_report_by_hand():
    def sample(item, shift, options, gold, lls):
        return {
            "doc": {"id": item, "medfr_shift": shift, "options": options, "gold": gold},
            "filtered_resps": [[x, False] for x in lls],
        }

    samples = [
        sample("a", 0, ["x", "y", "z"], 0, [0, -1, -2]),  # picks x (gold)
        sample("a", 1, ["y", "z", "x"], 2, [-2, -1, 0]),  # picks x again: consistent
        sample("b", 0, ["u", "v", "w"], 1, [0, -1, -2]),  # picks u (always A)
        sample("b", 1, ["v", "w", "u"], 0, [0, -1, -2]),  # picks v: inconsistent
    ]
    rep = permutation_report(samples)
    assert rep["accuracy_by_order"] == {0: 0.5, 1: 1.0}
    assert rep["mean_accuracy"] == 0.75 and rep["consistency"] == 0.5
    assert rep["position_bias"]["chosen"] == {"A": 3, "B": 0, "C": 1}
    assert rep["position_bias"]["gold"] == {"A": 2, "B": 1, "C": 1}
    assert rep["position_bias"]["total_variation"] == pytest.approx(0.25)


def test_position_bias_is_undefined_when_nothing_parses():
    from medfr_eval.mcq.permute import letter_spread, position_bias

    records = [{"id": str(i), "shift": 0, "chosen": None, "gold": "AB"[i % 2]} for i in range(4)]
    spread = letter_spread(records)
    assert spread["total_variation"] is None and spread["unparsed"] == 4
    assert position_bias(records) is None
    some = [*records, {"id": "9", "shift": 0, "chosen": "A", "gold": "A"}]
    assert letter_spread(some)["unparsed"] == 4
    assert letter_spread(some)["total_variation"] == pytest.approx(0.4)


def test_no_parsed_answer_reports_null_position_bias(evaluate, tiny_model_dir, tmp_path):
    """A model whose every answer is empty: position bias null in the results, never 0.5."""
    import json

    from mcq_bigram import build_bigram_model

    import medfr_eval

    silent = build_bigram_model(tiny_model_dir, tmp_path / "silent", {})
    tm = medfr_eval.task_manager(
        include_defaults=False, metadata={"medfr_data": "sample", "medfr_permutations": 1}
    )
    out = evaluate("hf", silent, ["medfr_pubmedqa_gen"], task_manager=tm)
    results = out["results"]["medfr_pubmedqa_gen"]
    assert results["parse_fail,strict"] == 1.0
    assert results["position_bias,strict"] is None
    assert json.loads(json.dumps(results, allow_nan=False))["position_bias,strict"] is None
    samples = out["samples"]["medfr_pubmedqa_gen"]
    report = permutation_report(samples)
    assert report["position_bias"]["total_variation"] is None
    assert report["position_bias"]["unparsed"] == len(samples)
