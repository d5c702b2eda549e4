"""The translation gap on the board: French against English on the same items, per set, with an interval."""

from __future__ import annotations

import json

import numpy as np
import pytest
from board_fixtures import BASE, CPT, write_run

from medfr_eval.board.collect import read_runs
from medfr_eval.board.gap import translation_gap
from medfr_eval.cli import board_main as main
from medfr_eval.core.errors import SignifError
from medfr_eval.core.sets import SETS
from medfr_eval.signif import bootstrap as bs
from medfr_eval.signif.gap import pair_twins

TRANSLATED = [s.name for s in SETS if s.family == "mcq_translated"]


def _site(tmp_path, *extra, runs_root=None):
    out = runs_root or tmp_path / "out"
    site = tmp_path / "site"
    code = main(["build", str(out), "--board", str(tmp_path / "none"), "-o", str(site), *extra])
    return code, site


def test_gap_per_set_with_paired_interval(tmp_path):
    write_run(tmp_path / "out", BASE, 0.5, seed=3, twins=True, en_shift=0.3)
    (run,) = read_runs([tmp_path / "out"])
    gaps = translation_gap(run)
    assert [g["set"] for g in gaps] == TRANSLATED
    for g in gaps:
        fr, en = run.tasks[g["task"]], run.tasks["medfr_en_" + g["set"]]
        # the pairing and bootstrap medfr-signif uses, on the same logs, same numbers
        a, b = pair_twins(fr.log, en.log, lenient=False, warn=print)
        lo, hi = bs.bootstrap_distribution(
            a, b, resamples=10_000, seed=bs.make_rng(0, "gap", g["task"])
        ).interval(0.95)
        assert g["gap"] == pytest.approx(fr.score - en.score)
        assert (g["ci_low"], g["ci_high"]) == pytest.approx((lo, hi))
        assert g["ci_low"] <= g["gap"] <= g["ci_high"] and g["n"] == 12
        assert g["ci_source"] == "bootstrap" and g["decision"] in ("win", "tie", "loss")
    assert np.mean([g["gap"] for g in gaps]) < 0  # English written 30 points better


def test_model_page_shows_the_gap(tmp_path):
    write_run(tmp_path / "out", BASE, 0.5, seed=3, twins=True)
    code, site = _site(tmp_path)
    assert code == 0
    (page,) = (site / "models").glob("*.html")
    html = page.read_text()
    assert 'id="translation-gap"' in html and "French − English" in html
    assert "paired percentile bootstrap" in html
    (row,) = json.loads((site / "data/leaderboard.json").read_text())["models"]
    assert len(row["translation_gap"]) == 10
    assert all(isinstance(g["ci_low"], float) for g in row["translation_gap"])
    # the twins' own family does not count: the overall score is the study's three families'
    assert set(row["families"]) == {"mcq_translated", "mcq_native", "openqa"}
    assert row["overall"] is not None and row["rank"] == 1


def test_signif_gap_wins_over_the_boards_own(tmp_path, capsys):
    write_run(tmp_path / "out", BASE, 0.5, seed=3, twins=True)
    signif = {
        "medfr_signif_version": 1, "comparisons": [], "win_rates": [], "scores": [],
        "translation_gap": [{"model": BASE, "task": "medfr_pubmedqa", "gap": -0.123,
                             "ci_low": -0.2, "ci_high": -0.05, "decision": "loss", "n": 12}],
    }  # fmt: skip
    (tmp_path / "signif.json").write_text(json.dumps(signif))
    code, site = _site(tmp_path, "--signif", str(tmp_path / "signif.json"))
    assert code == 0, capsys.readouterr().err
    (row,) = json.loads((site / "data/leaderboard.json").read_text())["models"]
    g = next(g for g in row["translation_gap"] if g["set"] == "pubmedqa")
    assert (g["gap"], g["ci_low"], g["ci_high"], g["ci_source"]) == (
        -0.123,
        -0.2,
        -0.05,
        "medfr-signif",
    )
    html = next((site / "models").glob("*.html")).read_text()
    assert "[-20.00, -5.00]" in html and "medfr-signif --translation-gap" in html


def test_no_twins_no_section(tmp_path):
    write_run(tmp_path / "out", CPT, 0.5, seed=3)
    code, site = _site(tmp_path)
    assert code == 0
    assert 'id="translation-gap"' not in next((site / "models").glob("*.html")).read_text()


def test_twins_holding_other_items_are_refused(tmp_path):
    folder = write_run(tmp_path / "out", BASE, 0.5, seed=3, twins=True)
    log = next(folder.glob("samples_medfr_en_medqa_4opt_*.jsonl"))
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    lines[2]["doc"]["id"] = "another-item"  # same doc_id, another item of the source
    log.write_text("".join(json.dumps(x) + "\n" for x in lines))
    (run,) = read_runs([tmp_path / "out"])
    with pytest.raises(SignifError, match="doc_id 2 is item 't2' in French and 'another-item'"):
        translation_gap(run)
