"""The signif file's own doubts (warnings, --lenient) flagged on every page, paths cut."""

from __future__ import annotations

import json

from board_fixtures import DATE, build

from medfr_eval.board.publish import cut_paths


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
