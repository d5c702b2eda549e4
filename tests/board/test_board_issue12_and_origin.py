"""Issue 12 on the board (signif warnings flagged, --allow-setting-mismatch on the command
line) and issue 10's data origin (BioMistral's public translation named where it was read)."""

from __future__ import annotations

import json

from board_fixtures import BASE, CPT, DATE, SFT, build, write_run

from medfr_eval.board.publish import cut_paths
from medfr_eval.cli import board_main as main
from medfr_eval.sets import SETS

BIOMISTRAL = "BioMistral/BioInstructQA@e8b529351e63e3060328ed50739a004537779eb4"


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


def test_signif_warnings_and_lenient_are_flagged(runs, tmp_path):
    data = json.loads(runs["signif"].read_text())
    data["lenient"] = True
    data["warnings"] = [
        {"kind": "clusters", "message": "paired bootstrap, medfr_frclinicalqa: cluster "
         "bootstrap over 4 clusters only (fewer than 20): the interval is anti-conservative"},
        {"kind": "reading", "message": f"{tmp_path}/lm_eval_out/x/samples_medfr_kqa_{DATE}.jsonl:"
         " filter 'bertscore' not found"},
    ]  # fmt: skip
    runs["signif"].write_text(json.dumps(data))
    site = tmp_path / "site"
    assert build(runs, site) == 0
    for page in ["index.html", *(f"models/{p.name}" for p in (site / "models").glob("*.html"))]:
        html = (site / page).read_text()
        assert 'id="signif-banner"' in html and "--lenient" in html
        assert "anti-conservative" in html and "2 warnings" in html
        assert str(tmp_path) not in html and f"samples_medfr_kqa_{DATE}.jsonl" in html
    cpt = next(p for p in (site / "models").glob("*.html") if "cpt" in p.name)
    assert "warnings of the significance file" in cpt.read_text()  # next to its decisions


def test_no_flag_without_warnings(runs, tmp_path):
    site = tmp_path / "site"
    assert build(runs, site) == 0
    assert 'id="signif-banner"' not in (site / "index.html").read_text()


def test_bad_warnings_are_refused(runs, tmp_path, capsys):
    data = json.loads(runs["signif"].read_text())
    data["warnings"] = [{"kind": "clusters"}]
    runs["signif"].write_text(json.dumps(data))
    assert build(runs, tmp_path / "site") == 2
    assert "warnings[0].message" in capsys.readouterr().err


def test_paths_in_messages_are_cut():
    assert cut_paths("/home/me/o/samples_x.jsonl: bad") == "samples_x.jsonl: bad"
    assert cut_paths("runs/a/x.jsonl vs runs/b/y.jsonl") == "x.jsonl vs y.jsonl"
    assert cut_paths("level 1 - alpha/m; org/Model kept") == "level 1 - alpha/m; org/Model kept"


def test_biomistral_translation_named_where_the_data_origin_is(tmp_path):
    out = tmp_path / "out"
    sources = {s.name: BIOMISTRAL if s.public_source else f"/home/me/data/{s.name}.jsonl"
               for s in SETS}  # fmt: skip
    write_run(out, BASE, 0.4, seed=1, loaded_source=sources)
    write_run(out, SFT, 0.4, seed=2, loaded_source="/home/me/data/own.jsonl")
    write_run(out, CPT, 0.4, seed=3)  # an older run: records nothing
    site = tmp_path / "site"
    assert main(["build", str(out), "--board", str(tmp_path / "x"), "-o", str(site)]) == 0
    data = json.loads((site / "data/leaderboard.json").read_text())
    (public,) = data["data"]["public"]
    assert public["repo"] == "BioMistral/BioInstructQA" and public["runs"] == 1
    assert public["sets"] == [s.name for s in SETS if s.family == "mcq_translated"]
    rows = {r["model_name"]: r for r in data["models"]}
    assert rows[SFT]["data_public"] == rows[CPT]["data_public"] == []
    assert rows[BASE]["data_public"] == [public]
    footer = (site / "index.html").read_text()
    assert "BioMistral's public translation" in footer and "not proven" in footer
    page = (site / "models" / f"{rows[BASE]['slug']}.html").read_text()
    assert "10 sets read from BioMistral's public translation" in page
    for f in site.rglob("*"):
        if f.is_file():
            assert "/home/me" not in f.read_text(encoding="utf-8"), f
