"""Runs scored under other settings than the reference's: refused unless --allow-setting-mismatch."""

from __future__ import annotations

import json

from board_fixtures import BASE, CPT, DATE, write_run

from medfr_eval.cli import board_main as main


def _mismatched_run(root):
    folder = write_run(root, CPT, 0.6, seed=2)
    results = folder / f"results_{DATE}.json"
    data = json.loads(results.read_text())
    data["configs"]["medfr_kqa"]["generation_kwargs"] = {"max_gen_toks": 64}
    results.write_text(json.dumps(data))
    return folder


def test_allow_setting_mismatch_flag_on_add_and_build(tmp_path, capsys):
    write_run(tmp_path / "trusted", BASE, 0.3, seed=1)
    ref = tmp_path / "lb" / "reference.json"
    board = tmp_path / "lb" / "entries"
    assert main(["reference", str(tmp_path / "trusted"), "-o", str(ref)]) == 0
    _mismatched_run(tmp_path / "sub")
    assert main(["add", str(tmp_path / "sub"), "--board", str(board)]) == 2
    assert "scored under other settings" in capsys.readouterr().err
    assert main(["add", str(tmp_path / "sub"), "--board", str(board),
                 "--allow-setting-mismatch"]) == 0  # fmt: skip
    site = tmp_path / "site"
    args = ["build", str(tmp_path / "sub"), "--board", str(board), "-o", str(site)]
    assert main(args) == 2 and not site.exists()
    assert main([*args, "--allow-setting-mismatch"]) == 0
    assert main(["build", "--help"]) == 0
    assert "--allow-setting-mismatch" in capsys.readouterr().out
