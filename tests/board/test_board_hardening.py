"""Issue 13, the board's cases: each one line naming file and field, exit 2, nothing published.

Before this change: ``add`` followed ``model_args pretrained=...`` out of the submitted
folder and copied the run card it found there; NaN in ``signif.json`` rendered as
"nan" and broke the page's JSON; ``config: [1]`` or a list of ``versions`` ended in
a traceback; a right-to-left override in a name displayed it as another name.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from board_fixtures import BASE, CPT, signif_for, write_run

from medfr_eval.board.table import slugify
from medfr_eval.cli import board_main as main

TOKEN = "hf_FAKE_TOKEN_do_not_publish_1234"


def everything(folder: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*") if p.is_file()
    )


@pytest.fixture
def board(tmp_path):
    trusted = tmp_path / "trusted"
    write_run(trusted, BASE, 0.3, seed=1)
    ref = tmp_path / "lb" / "reference.json"
    assert main(["reference", str(trusted), "-o", str(ref)]) == 0
    return tmp_path / "lb" / "entries"


def outside_card(tmp_path: Path) -> Path:
    home = tmp_path / "maintainer-home"
    home.mkdir()
    card = {"model_name": CPT, "strategy": "CPT", "hardware": TOKEN, "token": TOKEN}
    (home / "run_card.json").write_text(json.dumps(card))
    return home


def test_add_reads_run_cards_only_inside_the_submission(tmp_path, board, capsys):
    home = outside_card(tmp_path)
    sub = tmp_path / "submission"
    folder = write_run(sub, CPT, 0.6, seed=2, pretrained="../../maintainer-home")
    assert (folder / "../../maintainer-home/run_card.json").resolve().is_file()
    assert main(["add", str(sub), "--board", str(board)]) == 0
    assert "outside the submitted folder" in capsys.readouterr().err
    assert TOKEN not in everything(board)
    assert not (board / slugify(CPT) / "run_card.json").exists()
    site = tmp_path / "site"
    assert main(["build", "--board", str(board), "-o", str(site)]) == 0
    assert TOKEN not in everything(site)
    assert (home / "run_card.json").is_file()  # untouched


def test_build_from_entries_ignores_run_cards_outside(tmp_path, board):
    """A results file placed in the entries folder by hand gets the same treatment."""
    home = outside_card(tmp_path)
    write_run(board, CPT, 0.6, seed=2, pretrained=str(home))
    site = tmp_path / "site"
    assert main(["build", "--board", str(board), "-o", str(site)]) == 0
    assert TOKEN not in everything(site)


def test_add_refuses_links_out_of_the_submission(tmp_path, board, capsys):
    sub = tmp_path / "submission"
    folder = write_run(sub, CPT, 0.6, seed=2)
    (results,) = folder.glob("results_*.json")
    real = tmp_path / "elsewhere.json"
    results.rename(real)
    results.symlink_to(real)
    assert main(["add", str(sub), "--board", str(board)]) == 2
    assert "link out of the folder" in capsys.readouterr().err
    assert not (board / slugify(CPT)).exists()


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


def test_bidi_controls_are_stripped_from_names(tmp_path):
    out = tmp_path / "out"
    sneaky = "medfr-test/\u202eTPC-lartsiM"  # displays as "medfr-test/Mistral-CPT"
    write_run(out, sneaky, 0.3, seed=1)
    entries = tmp_path / "entries"
    entries.mkdir()
    (entries / "x.yaml").write_text(
        f'model: "{sneaky}"\nname: "\u2067Good\u2069 model\u202e"\n', encoding="utf-8"
    )
    write_run(out, "medfr-test/\u2066other\u2069", 0.4, seed=2)
    site = tmp_path / "site"
    assert main(["build", str(out), "--board", str(entries), "-o", str(site)]) == 0
    text = everything(site)
    for ch in ("\u202e", "\u2066", "\u2067", "\u2069"):
        assert ch not in text
    data = json.loads((site / "data/leaderboard.json").read_text())
    assert sorted(m["name"] for m in data["models"]) == ["Good model", "medfr-test/other"]
