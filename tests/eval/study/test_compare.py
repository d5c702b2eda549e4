"""``medfr study compare``: planted numbers flagged exactly, signif's intervals, every output format."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from medfr_eval.cli import main
from medfr_eval.study import Layout, compare_run, load_study
from medfr_eval.study.compare import flag
from medfr_eval.study.report import markdown, text_table, to_csv, write_report
from medfr_eval.study.run import record_study
from medfr_eval.study.synthetic import write_model_run

sys.path.insert(0, str(Path(__file__).parent))
from studyfiles import write_study  # noqa: E402

# The paper (studyfiles.PAPER) prints 25.00 % on MMLU anatomy and 0.50 on FrMedQA for both
# models. Planted: model-a at 25 % (inside) and 0.50 (inside); model-b at 60 % (far above)
# and 0.20 (far below).
PLANTED = {
    "model-a": {"medfr_mmlu_anatomy": [1.0] * 50 + [0.0] * 150, "medfr_frmedqa": None},
    "model-b": {"medfr_mmlu_anatomy": [1.0] * 120 + [0.0] * 80, "medfr_frmedqa": None},
}
CENTRE = {"model-a": 0.50, "model-b": 0.20}
EXPECTED = {
    ("model-a", "mmlu_anatomy"): "reproduced",
    ("model-a", "frmedqa"): "reproduced",
    ("model-b", "mmlu_anatomy"): "above",
    ("model-b", "frmedqa"): "below",
}


def _bertscores(centre: float, n: int = 80) -> list[float]:
    rng = np.random.default_rng(7)
    vals = centre + rng.normal(0, 0.05, n)
    return list(vals - vals.mean() + centre)  # the mean exactly at the centre


@pytest.fixture()
def planted(tmp_path):
    study = load_study(write_study(tmp_path / "study"))
    lay = Layout(tmp_path / "run")
    record_study(study, lay)
    for m in study.models:
        values = dict(PLANTED[m.name])
        values["medfr_frmedqa"] = _bertscores(CENTRE[m.name])
        write_model_run(lay.model_dir(m), study, m, values)
    return study, lay


def test_planted_numbers_are_flagged_exactly(planted):
    study, lay = planted
    result = compare_run(lay.root)
    got = {(r.model, r.set): r.flag for r in result.rows}
    assert got == EXPECTED
    row = next(r for r in result.rows if (r.model, r.set) == ("model-b", "mmlu_anatomy"))
    assert row.ours == pytest.approx(0.60) and row.diff_points == pytest.approx(35.0)
    assert row.ci_low > 0.25  # its whole interval is above the paper's 25 %
    shares = {(s["model"], s["family"]): (s["reproduced"], s["compared"]) for s in result.shares}
    assert shares[("model-a", "all")] == (2, 2) and shares[("model-b", "all")] == (0, 2)
    assert shares[(None, "openqa")] == (1, 2)
    assert {s["source"] for s in result.sources} == {"synthetic (medfr tests)"}


def test_the_paper_figure_counts_as_the_values_that_round_to_it():
    # printed 0.50 stands for [0.495, 0.505]: an interval ending at 0.497 still meets it
    assert flag(0.40, 0.497, 0.495, 0.505) == "reproduced"
    assert flag(0.506, 0.60, 0.495, 0.505) == "above"
    assert flag(0.30, 0.494, 0.495, 0.505) == "below"


def test_intervals_are_signifs(planted, capsys):
    study, lay = planted
    folders = {m.name: next(lay.model_dir(m).iterdir()) for m in study.models}
    args = [str(f) for f in folders.values()]
    for name, f in folders.items():
        args += ["--name", f"{f}={name}"]
    out = lay.root / "signif"
    assert main(["signif", *args, "--resamples", "200", "--out", str(out)]) == 0
    capsys.readouterr()
    scores = {
        (s["model"], s["task"]): s for s in json.loads((out / "signif.json").read_text())["scores"]
    }
    for r in compare_run(lay.root).rows:
        s = scores[(r.model, f"medfr_{r.set}")]
        assert (r.ci_low, r.ci_high) == (s["ci_low"], s["ci_high"])


def test_win_tie_loss_rows_sit_beside_signifs(planted, capsys):
    study, lay = planted
    result = compare_run(lay.root)
    assert result.win_tie_loss[0]["ours"] is None and "not computed" in text_table(result)
    assert any("medfr study publish" in n for n in result.notes)


def test_outputs_fit_80_columns_and_are_strict(planted, tmp_path):
    study, lay = planted
    result = compare_run(lay.root)
    text = text_table(result)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "model-b (CPT): reproduced 0/2" in text
    written = write_report(result, tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(
        ["compare.json", "compare.csv", "compare.md", "compare.png", "compare.svg"]
    )
    data = json.loads((tmp_path / "out" / "compare.json").read_text(), parse_constant=pytest.fail)
    assert len(data["rows"]) == 4
    rows = list(csv.DictReader(io.StringIO(to_csv(result))))
    assert {(r["model"], r["set"]): r["flag"] for r in rows} == EXPECTED
    assert "| model-b | mmlu_anatomy | 25.00 | 60.00 |" in markdown(result)


def test_compare_cli_prints_and_writes(planted, capsys):
    study, lay = planted
    assert main(["study", "compare", str(lay.root), "--paper"]) == 0
    out = capsys.readouterr().out
    assert "mmlu_anatomy" in out and "above" in out and "below" in out
    assert (lay.root / "compare" / "compare.json").is_file()


def test_compare_with_another_table_and_a_model_not_evaluated(planted, tmp_path, capsys):
    study, lay = planted
    other = tmp_path / "other.csv"
    other.write_text(
        "table,model,strategy,set,metric,value\nT,model-a,base,mmlu_anatomy,accuracy_pct,80.0\n"
    )
    next(lay.model_dir(study.model("model-b")).iterdir()).rename(tmp_path / "moved")
    result = compare_run(lay.root, paper=other)
    assert [(r.model, r.flag) for r in result.rows] == [("model-a", "below")]
    assert any("model-b: not compared" in n for n in result.notes)


def test_compare_without_paper_option_is_a_usage_error(planted, capsys):
    assert main(["study", "compare", str(planted[1].root)]) == 2
    assert "--paper" in capsys.readouterr().err


def test_a_study_of_some_sets_publishes_signif_and_the_comparison_without_a_board(planted, capsys):
    study, lay = planted
    assert main(["study", "publish", str(study.path), "-o", str(lay.root)]) == 0, (
        capsys.readouterr().err
    )
    out = capsys.readouterr().out
    assert "board: not built (it shows the 15 sets of medfr_all; this study runs 2)" in out
    assert (lay.signif / "signif.json").is_file() and (lay.compare / "compare.json").is_file()
    assert not lay.site.exists()
    assert main(["study", "publish", str(study.path), "-o", str(lay.root)]) == 0
    assert "up to date, nothing to do" in capsys.readouterr().out
