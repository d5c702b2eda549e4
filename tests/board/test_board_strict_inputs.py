"""Inputs of the wrong shape or with NaN are one line naming file and field; outputs are strict JSON."""

from __future__ import annotations

import json

import pytest
from board_fixtures import BASE, CPT, signif_for, write_run

from medfr_eval.cli import board_main as main


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_signif_with_non_finite_numbers_is_refused(runs, bad, capsys):
    data = signif_for(CPT, BASE)
    data["scores"][0]["ci_high"] = bad
    runs["signif"].write_text(json.dumps(data))  # Python writes NaN / Infinity
    site = runs["tmp"] / "site"
    from board_fixtures import build

    assert build(runs, site) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "signif.json" in err[0] and "scores[0].ci_high" in err[0], err
    assert not site.exists()


def test_site_json_is_strict(runs):
    from board_fixtures import build

    site = runs["tmp"] / "site"
    assert build(runs, site) == 0

    def no_constants(name):
        raise AssertionError(f"{name} in strict JSON")

    json.loads((site / "data/leaderboard.json").read_text(), parse_constant=no_constants)
    block = (site / "index.html").read_text().split('id="board-data">', 1)[1]
    json.loads(block.split("</script>", 1)[0], parse_constant=no_constants)


@pytest.mark.parametrize(
    ("field", "value"),
    [("config", [1]), ("versions", [1.0]), ("n-samples", ["12"]), ("configs", "x")],
)
def test_results_sections_of_the_wrong_type(tmp_path, field, value, capsys):
    out = tmp_path / "out"
    folder = write_run(out, BASE, 0.3, seed=1)
    (path,) = folder.glob("results_*.json")
    data = json.loads(path.read_text())
    data[field] = value
    path.write_text(json.dumps(data))
    code = main(["build", str(out), "--board", str(tmp_path / "e"), "-o", str(tmp_path / "s")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and path.name in err[0] and f"{field}:" in err[0], err
