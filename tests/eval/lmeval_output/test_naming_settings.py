"""The reader's shared rules: model names, the settings that change scores, English twins."""

from __future__ import annotations

import json

import pytest

from medfr_eval import lmeval_output as lo
from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import BY_TASK


@pytest.mark.parametrize(
    ("model_name", "card", "expected"),
    [
        ("BioMistral/BioMistral-7B", None, "BioMistral/BioMistral-7B"),  # hub id kept whole
        ("/scratch/u/tiny-cpt-sft/sft", None, "tiny-cpt-sft"),  # stage folder: the one above
        ("/scratch/u/tiny-cpt-sft/cpt/", None, "tiny-cpt-sft"),
        ("./out/ckpt-900", None, "ckpt-900"),
        ("runs/exp/model", None, "model"),
        ("/scratch/u/tiny-cpt-sft/sft", {"model_name": "medfr/Tiny"}, "medfr/Tiny"),
        ("/x/sft", {"model_name": ""}, "x"),  # an empty card name does not count
        ("org/abc\u202egnp.exe", None, "org/abcgnp.exe"),  # bidi controls stripped
        ("m", {"model_name": "\u2066evil\u2069"}, "evil"),
    ],
)
def test_display_name(model_name, card, expected):
    assert lo.display_name(model_name, card) == expected


def test_score_settings_keep_what_changes_scores_and_name_the_field():
    task = lo.TaskOutput(task="medfr_kqa", date="d", version=1.0, config={
        "generation_kwargs": {"until": ["\n\n"], "max_gen_toks": 256, "do_sample": False},
        "num_fewshot": 0,
        "metadata": {"version": 1.0, "config_source": "/home/a/tasks/kqa.yaml",
                     "pretrained": "/home/a/model", "medfr_data": "sample",
                     "bertscore_model": "camembert-base", "bertscore_layer": 9,
                     "judge": {"model": "medgemma", "template_sha256": "abc"},
                     "medfr_scorer_options": {"idf": False},
                     "medfr_bertscore": {"model": "camembert-base", "num_layers": 9}},
    })  # fmt: skip
    s = lo.score_settings(task)
    assert s["generation_kwargs.max_gen_toks"] == 256 and s["num_fewshot"] == 0
    assert s["metadata.bertscore_layer"] == 9 and s["metadata.judge.model"] == "medgemma"
    assert s["metadata.medfr_scorer_options.idf"] is False and s["version"] == 1.0
    assert (
        s["metadata.medfr_bertscore.num_layers"] == 9
    )  # as medfr_eval.metrics.bertscore records it
    assert not any(k.endswith(("config_source", "pretrained", "medfr_data")) for k in s)
    other = dict(s, **{"generation_kwargs.max_gen_toks": 64, "metadata.judge.model": "x"})
    del other["metadata.bertscore_layer"]
    assert lo.settings_mismatch(s, other) == [
        "generation_kwargs.max_gen_toks: 256 vs 64",
        "metadata.bertscore_layer: 9 vs (not set)",
        'metadata.judge.model: "medgemma" vs "x"',
    ]
    assert lo.settings_mismatch(s, dict(s)) == []
    assert lo.score_settings(lo.TaskOutput(task="t", date="d")) == {}


def test_function_reprs_compare_without_their_memory_address():
    """lm-eval logs ``!function`` config entries as reprs with a per-process address;
    two runs of the same task must not differ by it (the demo's signif step did)."""

    class Out:
        version = 2.0

        def __init__(self, address: str) -> None:
            self.config = {
                "fewshot_config": {"doc_to_choice": f"<function multi_answer_choices at {address}>"}
            }

    a, b = lo.score_settings(Out("0x7f5e59f42f20")), lo.score_settings(Out("0x7feba80a6f20"))
    assert lo.settings_mismatch(a, b) == []
    other = Out("0x1")
    other.config["fewshot_config"]["doc_to_choice"] = "<function other_choices at 0x1>"
    assert lo.settings_mismatch(a, lo.score_settings(other))


def test_english_twins_share_their_french_task_spec():
    assert lo.french_task("medfr_en_pubmedqa") == "medfr_pubmedqa"
    assert lo.english_task("medfr_pubmedqa") == "medfr_en_pubmedqa"
    en, fr = lo.spec_for("medfr_en_medqa_4opt"), BY_TASK["medfr_medqa_4opt"]
    assert (en.metric, en.filter, en.result_key) == (fr.metric, fr.filter, fr.result_key)
    assert lo.french_task("medfr_en_kqa") is None  # native sets have no English twin
    assert lo.french_task("medfr_pubmedqa") is None
    assert len(lo.translated_tasks()) == 10
    with pytest.raises(KeyError):
        lo.spec_for("medfr_en_nothing")


def test_json_with_nan_or_infinity_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "results_x.json"
    path.write_text(json.dumps({"results": {"a": float("inf")}}))
    with pytest.raises(DataError, match=r"results\.a: expected a finite number") as e:
        lo.read_json_object(path)
    assert str(path) in str(e.value)


def test_one_scorer_model_given_relative_and_absolute_is_the_same_setting(tmp_path, monkeypatch):
    """``medfr-demo/models/bert`` in one run, ``/home/.../medfr-demo/models/bert`` in the
    other: the same folder, so no mismatch; another folder or a hub id still differs."""
    bert = tmp_path / "medfr-demo" / "models" / "bert"
    bert.mkdir(parents=True)
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path)

    def settings(model: str) -> dict:
        meta = {"medfr_bertscore": {"model": model, "num_layers": 2}, "bertscore_model": model}
        return lo.score_settings(
            lo.TaskOutput(task="medfr_kqa", date="d", config={"metadata": meta})
        )

    relative, absolute = settings("medfr-demo/models/bert"), settings(str(bert))
    assert lo.settings_mismatch(relative, absolute) == []
    assert lo.settings_mismatch(settings("./medfr-demo/models/../models/bert"), absolute) == []
    assert lo.settings_mismatch(relative, settings(str(tmp_path / "other"))) != []
    hub = settings("bert-base-multilingual-cased")
    assert lo.settings_mismatch(relative, hub) == [
        'metadata.bertscore_model: "medfr-demo/models/bert" vs "bert-base-multilingual-cased"',
        'metadata.medfr_bertscore.model: "medfr-demo/models/bert" vs "bert-base-multilingual-cased"',
    ]
