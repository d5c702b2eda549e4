"""The public tasks run through lm_eval on fetched files in the sources' layout (tiny model)."""

from __future__ import annotations

import pytest
from lmeval_run import tiny_bertscore, tiny_evaluate

from medfr_eval.core.sets import GROUPS, twin_pairs
from medfr_eval.data.fetch import fetch
from medfr_eval.data.public_sources import synthetic
from medfr_eval.metrics import bertscore

TASKS = [
    "medfr_medqa_4opt",
    "medfr_en_medqa_4opt",
    "medfr_pubmedqa",
    "medfr_en_pubmedqa",
    "medfr_frenchmedmcqa",
    "medfr_mediqal",
]


@pytest.fixture(scope="module")
def fetched(tmp_path_factory):
    root = tmp_path_factory.mktemp("repos")
    synthetic.write_mirror(root, per_corpus=3)
    out = tmp_path_factory.mktemp("fetched") / "data"
    fetch(None, out, root)
    return out


@pytest.fixture(scope="module")
def public_run(fetched, tiny_model_dir, tiny_bert_dir):
    import medfr_eval

    with tiny_bertscore(tiny_bert_dir):
        tm = medfr_eval.task_manager(include_defaults=False, metadata={"medfr_data": str(fetched)})
        return tiny_evaluate(tiny_model_dir, TASKS, tm, max_gen_toks=8)


def test_every_public_task_is_scored(public_run):
    res = public_run["results"]
    for task in ("medfr_medqa_4opt", "medfr_en_medqa_4opt", "medfr_mediqal_mcqu"):
        assert 0.0 <= res[task]["acc,none"] <= 1.0
    for task in ("medfr_frenchmedmcqa", "medfr_mediqal_mcqm"):
        assert res[task]["emr,none"] == res[task]["acc,none"]
        assert 0.0 <= res[task]["hamming,none"] <= 1.0
    assert 0.0 <= res["medfr_mediqal_oeq"]["bertscore_f1,bertscore"] <= 1.0 + 1e-6
    assert set(GROUPS["medfr_mediqal"]) <= set(res)


@pytest.mark.parametrize(
    ("task", "metric", "filt"),
    [
        ("medfr_mediqal_mcqu", "acc", "none"),
        ("medfr_mediqal_mcqm", "emr", "none"),
        ("medfr_mediqal_mcqm", "hamming", "none"),
        ("medfr_mediqal_oeq", "bertscore_f1", "bertscore"),
    ],
)
def test_mediqal_scores_are_reported_per_question_type(public_run, task, metric, filt):
    res, samples = public_run["results"][task], public_run["samples"][task]
    for qtype in ("Understanding", "Reasoning"):
        values = [s[metric] for s in samples if s["doc"]["question_type"] == qtype]
        assert len(values) == 2
        got = res[f"{metric}_{qtype.lower()},{filt}"]
        assert got == pytest.approx(sum(values) / len(values))
    assert res[f"{metric},{filt}"] == pytest.approx(sum(s[metric] for s in samples) / len(samples))


def test_english_twin_pairs_with_its_french_task_by_id(public_run):
    samples = public_run["samples"]
    for fr, en in twin_pairs().items():
        if fr not in samples:
            continue
        fr_docs = {s["doc"]["id"]: s for s in samples[fr]}
        en_docs = {s["doc"]["id"]: s for s in samples[en]}
        assert fr_docs.keys() == en_docs.keys() and len(fr_docs) == 3
        for ident, fr_s in fr_docs.items():
            en_s = en_docs[ident]
            assert fr_s["doc"]["gold"] == en_s["doc"]["gold"]
            assert fr_s["arguments"][0][0].endswith("Réponse :")
            assert en_s["arguments"][0][0].endswith("Answer:")
            assert [a[1] for a in fr_s["arguments"]] == [a[1] for a in en_s["arguments"]]


def test_mediqal_prompt_shows_the_case_only_when_there_is_one(public_run):
    for task in ("medfr_mediqal_mcqu", "medfr_mediqal_mcqm", "medfr_mediqal_oeq"):
        for sample in public_run["samples"][task]:
            prompt = sample["arguments"][0][0]
            has_case = bool(sample["doc"]["context"])
            # one label for the case in the three MediQAl prompts
            assert ("Cas clinique :" in prompt) == has_case and "Contexte :" not in prompt, task


def test_run_records_data_origin_size_check_and_scorer(public_run, tiny_bert_dir):
    configs = public_run["configs"]
    loaded = configs["medfr_medqa_4opt"]["metadata"]["medfr_loaded"]
    assert loaded["items"] == 3 and loaded["expected_items"] == 1273
    assert loaded["size_matches"] is False and loaded["source"].endswith("medqa_4opt.jsonl")
    assert configs["medfr_mediqal_mcqu"]["metadata"]["medfr_loaded"]["expected_items"] == 4343
    scorer = bertscore.scorer_from_config(configs["medfr_mediqal_oeq"])
    assert scorer["model"] == str(tiny_bert_dir) and scorer["num_layers"] == 2
    assert bertscore.scorer_from_config(configs["medfr_medqa_4opt"]) is None
    key = bertscore.scorer_key(scorer)
    for sample in public_run["samples"]["medfr_mediqal_oeq"]:
        assert sample["filtered_resps"][0]["bertscore_scorer"] == key


def test_every_new_task_builds_on_the_shipped_samples(tiny_bertscore_env):
    """Every shipped YAML of the public extras loads (groups included), with its sample docs."""
    import lm_eval.tasks

    import medfr_eval
    from medfr_eval.core.sets import EXTRA_SETS
    from medfr_eval.data.load import load_records

    tm = medfr_eval.task_manager(include_defaults=False, metadata={"medfr_data": "sample"})
    loaded = lm_eval.tasks.get_task_dict(["medfr_public"], tm)
    flat = {}

    def walk(d):
        for key, value in d.items():
            if isinstance(value, dict):
                walk(value)
            else:
                flat[key] = value

    walk(loaded)
    for s in EXTRA_SETS:
        task = flat[s.task]
        assert len(task.test_docs()) == len(load_records(s.name, "sample")), s.task
        assert task.config.metadata["medfr_loaded"]["source"] == "shipped samples"
    assert "medfr_bertscore" in flat["medfr_mediqal_oeq"].config.metadata
