"""Calibration on the board: ECE, Brier and near-miss per MCQ set, and a reliability diagram."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from board_fixtures import BASE, CPT, write_run

from medfr_eval.board.calibration import calibration_points, calibration_sets
from medfr_eval.board.collect import read_runs
from medfr_eval.cli import board_main as main
from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import SETS
from medfr_eval.metrics.calibration import ece

MCQ = [s.name for s in SETS if s.kind.startswith("mcq")]


def test_metrics_per_set_from_the_results(tmp_path):
    folder = write_run(tmp_path / "out", BASE, 0.6, seed=5, calibration=True)
    (run,) = read_runs([tmp_path / "out"])
    rows = calibration_sets(run)
    assert [r["set"] for r in rows] == MCQ
    results = json.loads(next(folder.glob("results_*.json")).read_text())["results"]
    for r in rows:
        got = results["medfr_" + r["set"]]
        assert (r["ece"], r["brier"], r["near_miss"]) == (
            got["ece,none"],
            got["brier,none"],
            got["near_miss,none"],
        )
        assert r["n"] == 12
    points = calibration_points(run)
    assert len(points) == 12 * len(MCQ)
    # the records read back give the ECE each set reported
    medqa = run.tasks["medfr_medqa_4opt"].log.calibration
    recs = [{"confidence": c, "correct": k} for c, k in medqa]
    assert ece(recs) == pytest.approx(results["medfr_medqa_4opt"]["ece,none"])


def test_model_page_has_diagram_and_table_only_with_data(tmp_path):
    write_run(tmp_path / "out", BASE, 0.6, seed=5, calibration=True)
    write_run(tmp_path / "out", CPT, 0.6, seed=6)  # an older run: no letter probabilities
    site = tmp_path / "site"
    assert (
        main(["build", str(tmp_path / "out"), "--board", str(tmp_path / "x"), "-o", str(site)]) == 0
    )
    data = json.loads((site / "data/leaderboard.json").read_text())
    rows = {r["model_name"]: r for r in data["models"]}
    with_data, without = rows[BASE], rows[CPT]
    assert without["calibration"] == [] and without["reliability_plot"] is None
    svg = site / "plots" / with_data["reliability_plot"]
    assert svg.is_file() and "<svg" in svg.read_text()
    html = (site / "models" / f"{with_data['slug']}.html").read_text()
    assert 'id="calibration"' in html and f'src="../plots/{svg.name}"' in html
    assert "Near-miss" in html and len(with_data["calibration"]) == len(MCQ)
    assert 'id="calibration"' not in (site / "models" / f"{without['slug']}.html").read_text()
    # same inputs, same bytes
    again = tmp_path / "again"
    assert (
        main(["build", str(tmp_path / "out"), "--board", str(tmp_path / "x"), "-o", str(again)])
        == 0
    )
    assert (again / "plots" / svg.name).read_bytes() == svg.read_bytes()


def test_a_bad_calibration_record_names_the_line(tmp_path):
    folder = write_run(tmp_path / "out", BASE, 0.6, seed=5, calibration=True)
    log = next(folder.glob("samples_medfr_mmlu_anatomy_*.jsonl"))
    lines = log.read_text().splitlines()
    rec = json.loads(lines[3])
    rec["ece"]["confidence"] = 1.7
    lines[3] = json.dumps(rec)
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        DataError, match=r"samples_medfr_mmlu_anatomy_.*jsonl:4: ece\.confidence: .*\[0, 1\]"
    ):
        read_runs([tmp_path / "out"])


def test_the_board_never_imports_torch():
    code = (
        "import sys, medfr_eval.board.build, medfr_eval.board.calibration, medfr_eval.board.gap;"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_hostile_name_in_the_diagram_stays_text(tmp_path):
    from board_fixtures import HOSTILE

    write_run(tmp_path / "out", HOSTILE, 0.6, seed=5, calibration=True)
    site = tmp_path / "site"
    args = ["build", str(tmp_path / "out"), "--board", str(tmp_path / "x"), "-o", str(site)]
    assert main(args) == 0
    (svg,) = (site / "plots").glob("reliability-*.svg")
    text = svg.read_text()
    assert "<script" not in text and "&lt;script&gt;" in text
