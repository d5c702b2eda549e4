"""``medfr board`` / ``medfr-leaderboard``: a click group with build, add and reference."""

from __future__ import annotations

import pytest

from medfr_eval.cli import board_main, main


def test_group_lists_its_subcommands_and_every_help_shows_an_example(capsys):
    assert board_main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("build", "add", "reference")) and "Example:" in out
    for sub in ("build", "add", "reference"):
        assert board_main([sub, "--help"]) == 0
        assert "Example: medfr board " + sub in capsys.readouterr().out


@pytest.mark.parametrize("alias", ["board", "leaderboard"])
def test_reached_from_the_medfr_command(alias, capsys):
    assert main([alias, "reference", "--help"]) == 0
    assert "RESULTS_DIR" in capsys.readouterr().out


def test_usage_errors_exit_2_with_clicks_message(tmp_path, capsys):
    assert board_main(["frobnicate"]) == 2
    assert "No such command 'frobnicate'" in capsys.readouterr().err
    assert board_main(["build", str(tmp_path)]) == 2  # -o is required
    assert "Missing option '-o'" in capsys.readouterr().err


def test_no_argparse_left_in_the_board_or_significance():
    from pathlib import Path

    import medfr_eval

    root = Path(medfr_eval.__file__).parent
    for folder in ("board", "signif"):
        for path in (root / folder).glob("*.py"):
            assert "argparse" not in path.read_text(encoding="utf-8"), path
