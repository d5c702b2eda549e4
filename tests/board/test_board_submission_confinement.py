"""A submission is published from its own folder: run cards and files outside it are never read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from board_fixtures import BASE, CPT, write_run

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
