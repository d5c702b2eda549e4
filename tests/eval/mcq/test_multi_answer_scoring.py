"""Multi-answer scoring: a real model that prefers " A C" must be able to win.

The tiny model is fine-tuned for a few steps so that its most likely answer to
every FrMedMCQA prompt is the set "A C". Through real lm-eval, restricted
scoring (task version 2) must then choose "A C"; scoring the sets without the
end-of-answer marker (version 1) would choose "A", as the issue says of every
real sample log.
"""

from __future__ import annotations

import pytest
from lmeval_run import tiny_evaluate

from medfr_eval.core.sets import get_set
from medfr_eval.data.load import build_docs, letter_sets, load_records
from medfr_eval.metrics.scoring import ANSWER_END


@pytest.fixture(scope="module")
def tuned_run(multi_tuned_dir, sample_task_manager):
    return tiny_evaluate(multi_tuned_dir, ["medfr_frmedmcqa"], sample_task_manager, batch_size=8)


def _set_loglikelihoods(model_dir, end: str) -> list[dict[str, float]]:
    """Summed log-likelihood of every letter set (+ ``end``) per sample prompt, through HFLM."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=str(model_dir), device="cpu", batch_size=8, dtype="float32")
    es = get_set("frmedmcqa")
    docs = build_docs(es, load_records(es.name, "sample"))
    sets = letter_sets(5)
    reqs = [
        Instance("loglikelihood", d, (d["prompt"], " " + s + end), 0) for d in docs for s in sets
    ]
    lls = [ll for ll, _ in lm.loglikelihood(reqs)]
    return [dict(zip(sets, lls[i * 31 : (i + 1) * 31])) for i in range(len(docs))]


def test_tuned_model_chooses_the_multi_letter_set(tuned_run):
    samples = tuned_run["samples"]["medfr_frmedmcqa"]
    chosen = []
    for s in samples:
        lls = [r[0] for r in s["filtered_resps"]]
        chosen.append(s["doc"]["choices"][max(range(31), key=lambda i: lls[i])])
        assert [a[1] for a in s["arguments"]] == [" " + c + ANSWER_END for c in s["doc"]["choices"]]
    assert chosen.count("A C") == len(samples)
    gold_ac = [s for s in samples if s["doc"]["choices"][s["doc"]["gold"]] == "A C"]
    for s in gold_ac:
        assert s["emr"] == 1.0 and s["acc"] == 1.0 and s["hamming"] == 1.0
    assert tuned_run["configs"]["medfr_frmedmcqa"]["metadata"]["version"] == 3.0


def test_without_end_marker_a_multi_letter_set_never_wins(multi_tuned_dir):
    """The v1 scoring, on the same model: every multi-letter set scores below its first letter."""
    for item in _set_loglikelihoods(multi_tuned_dir, ""):
        assert max(item, key=item.get) == "A"
        for s, ll in item.items():
            assert ll <= item[s.split()[0]] + 1e-6
    fixed = _set_loglikelihoods(multi_tuned_dir, ANSWER_END)
    assert all(max(item, key=item.get) == "A C" for item in fixed)


def test_calibration_values_logged_for_the_sets(tuned_run):
    for s in tuned_run["samples"]["medfr_frmedmcqa"]:
        record = s["ece"]
        assert set(record["probs"]) == set(letter_sets(5))
        assert sum(record["probs"].values()) == pytest.approx(1.0)
        assert record["pred"] == "A C"
        assert record["letter_probs"]["A"] == pytest.approx(
            sum(p for k, p in record["probs"].items() if "A" in k.split())
        )
    results = tuned_run["results"]["medfr_frmedmcqa"]
    assert 0.0 <= results["ece,none"] <= 1.0 and 0.0 <= results["brier,none"] <= 2.0
