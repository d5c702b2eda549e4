"""Messages name a medfr command the way the user typed it (``medfr board`` or
``medfr-leaderboard``), and the one documented way when no command is running."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from medfr_eval.cli import board_main, command_path, main, signif_main

sys.path.insert(0, str(Path(__file__).parent / "eval" / "signif"))  # signif_fixtures


def _runs(folder: Path, *models: str) -> Path:
    """lm-eval output folders of a few models (one set, four items), written for these tests."""
    from signif_fixtures import write_run

    from medfr_eval.core.sets import SETS

    scores = {SETS[0].task: [1.0, 0.0, 1.0, 0.0]}
    for model in models:
        write_run(folder, model, scores)
    return folder


@pytest.mark.parametrize(
    ("run", "prefix", "typed"),
    [
        (main, ["board"], "medfr board reference"),
        (main, ["leaderboard"], "medfr leaderboard reference"),
        (board_main, [], "medfr-leaderboard reference"),
    ],
)
def test_a_hint_names_the_command_as_typed(tmp_path, capsys, run, prefix, typed):
    """``board add`` with no reference says how to pin one, in the user's own words."""
    runs = _runs(tmp_path / "runs", "model-a")
    board = tmp_path / "nowhere" / "entries"
    assert run([*prefix, "add", str(runs / "model-a"), "--board", str(board)]) == 2
    err = capsys.readouterr().err
    assert f"has no reference yet; pin it from a trusted run with `{typed} RESULTS_DIR" in err


@pytest.mark.parametrize(
    ("run", "argv", "typed"),
    [(main, ["signif"], "medfr signif"), (signif_main, [], "medfr-signif")],
)
def test_an_error_names_the_command_as_typed(tmp_path, capsys, run, argv, typed):
    """``--out`` holding other files: the refusal names the command the user ran."""
    runs = _runs(tmp_path / "runs", "model-a", "model-b")
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert run([*argv, str(runs), "--all-pairs", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"; {typed} replaces its folder whole" in err, err


def test_outside_a_command_the_documented_name_is_used():
    assert command_path("data", "fetch") == "medfr data fetch"
    assert command_path("train") == "medfr train"
