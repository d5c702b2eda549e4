"""The board reads what lm-eval really writes: a tiny-model run of all 15 sets, end to end.

The hand-written fixtures follow the 0.4.13 format; this test keeps them honest by
feeding the builder files from lm-eval's own EvaluationTracker (the code path of
``lm_eval --output_path OUT --log_samples``), sample logs of every kind included.
"""

from __future__ import annotations

import json

import pytest

from medfr_eval.board.collect import read_runs
from medfr_eval.cli import board_main as main
from medfr_eval.core.sets import SETS


@pytest.mark.slow
def test_real_lm_eval_output_builds(tmp_path, tiny_medfr_run, capsys):
    results, out = tiny_medfr_run
    (run,) = read_runs([out])
    assert set(run.tasks) == {s.task for s in SETS}
    assert run.tasks["medfr_frclinicalqa"].clusters  # case ids read from the logged docs

    board = tmp_path / "lb" / "entries"
    assert main(["reference", str(out), "-o", str(board.parent / "reference.json")]) == 0
    assert main(["add", str(out), "--board", str(board)]) == 0, capsys.readouterr().err
    site = tmp_path / "site"
    assert main(["build", "--board", str(board), "-o", str(site)]) == 0
    data = json.loads((site / "data/leaderboard.json").read_text())
    (row,) = data["models"]
    assert row["overall"] is not None
    # Run on the shipped samples (medfr_data=sample): said on every page, never the study's sets.
    assert data["data"]["kind"] == "sample" and row["data"] == "sample"
    assert "Demo board, sample data." in (site / "index.html").read_text()
    for f in site.rglob("*"):  # the tiny model's folder is named by its path: never shown
        if f.is_file() and f.suffix != ".png":
            assert "pytest-of-" not in f.read_text(encoding="utf-8"), f
    # every MCQ item logged its letter probabilities; the page shows them
    mcq = [s for s in SETS if s.kind.startswith("mcq")]
    assert [c["set"] for c in row["calibration"]] == [s.name for s in mcq]
    for c in row["calibration"]:
        task = results["results"][f"medfr_{c['set']}"]
        assert c["ece"] == pytest.approx(task["ece,none"]) and c["n"] > 0
    assert (site / "plots" / row["reliability_plot"]).is_file()
    assert 'id="calibration"' in (site / "models" / f"{row['slug']}.html").read_text()
    for s in SETS:
        sc = row["scores"][s.name]
        assert sc["score"] == pytest.approx(results["results"][s.task][s.result_key])
        assert sc["ci_low"] - 1e-9 <= sc["score"] <= sc["ci_high"] + 1e-9
