"""The site's words and optional sections: English labels for every set, the translation-gap hook."""

from __future__ import annotations

from board_fixtures import BASE, write_run

from medfr_eval.board import labels
from medfr_eval.board.collect import read_runs
from medfr_eval.board.gap import translation_gap
from medfr_eval.board.plots import chance_level
from medfr_eval.board.render import environment, fmt_value, shown_columns
from medfr_eval.board.table import Model, build_rows
from medfr_eval.core.sets import ALL_FAMILIES, ALL_SETS, SETS
from medfr_eval.lmeval_output import TaskOutput


def test_every_set_and_family_has_english_labels():
    assert set(labels.SETS) == {s.name for s in ALL_SETS}
    assert set(labels.FAMILIES) == set(ALL_FAMILIES)
    assert labels.metric_label("bertscore_f1,bertscore") == "BERTScore F1"
    assert labels.metric_label("acc,none") == "Accuracy"


def test_values_read_as_text_not_python():
    assert fmt_value(None) == "—" and fmt_value(True) == "yes"
    assert fmt_value(132.87419067100018) == "132.9" and fmt_value(0.000123456) == "0.0001235"
    assert fmt_value({"device": "cpu", "gpus": [0, 1]}) == "device: cpu; gpus: 0, 1"


def test_chance_levels():
    assert chance_level("mcq_translated") == sum(1 / s.n_options for s in SETS[:10]) / 10
    assert chance_level("mcq_native") == (1 / 4 + 1 / 31) / 2
    assert chance_level("openqa") is None


def test_translation_gap_section_only_with_twins(tmp_path):
    write_run(tmp_path / "out", BASE, 0.4, seed=1)
    (run,) = read_runs([tmp_path / "out"])
    env = environment()

    def page(run):
        (row,) = build_rows([Model(run, None)], None)
        families, sets = shown_columns([row])
        return env.get_template("model.html").render(
            shown_families=families,
            shown_sets=sets,
            root="../",
            row=row,
            page="model",
            plots={},
            info={"origin": None, "lm_eval_versions": []},
        )

    assert translation_gap(run) == [] and 'id="translation-gap"' not in page(run)
    fr = run.tasks["medfr_medqa_4opt"].score
    # results only (no sample log): the scores and the gap, no interval
    run.tasks["medfr_en_medqa_4opt"] = TaskOutput("medfr_en_medqa_4opt", "d", score=fr + 0.1)
    (gap,) = translation_gap(run)
    assert gap["set"] == "medqa_4opt" and abs(gap["gap"] + 0.1) < 1e-9  # French - English
    assert gap["ci_low"] is None and gap["ci_source"] is None
    assert 'id="translation-gap"' in page(run) and "-10.00" in page(run)
