"""The reader's shared rules: model names, the settings that change scores, English twins."""

from __future__ import annotations

import json

import pytest

from medfr_eval import lmeval_output as lo
from medfr_eval.errors import DataError
from medfr_eval.sets import BY_TASK


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
    assert s["metadata.medfr_bertscore.num_layers"] == 9  # as medfr_eval.bertscore records it
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
