"""Building the site: contents, escaping, determinism, atomic replacement."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from board_fixtures import BASE, CPT, HOSTILE, SFT, build
from fresh_imports import loaded_by

from medfr_eval.board.table import slugify
from medfr_eval.cli import board_main as main
from medfr_eval.core.sets import SETS


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_site_has_every_page_and_file(runs):
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    files = tree(site)
    for s in SETS:
        assert f"tasks/{s.name}.html" in files
    for name in (BASE, CPT, HOSTILE):
        assert f"models/{slugify(name)}.html" in files
    assert f"models/{slugify('MedMistral-SFT (test)')}.html" in files  # entry's display name
    for plot in ("families", "win_tie_loss", "compute"):
        assert files[f"plots/{plot}.svg"].startswith(b"<?xml")
    assert {
        "index.html",
        "static/board.js",
        "static/style.css",
        "data/leaderboard.csv",
        "data/leaderboard.json",
    } <= set(files)
    html = files["index.html"].decode()
    assert html.count('<tr data-slug="') == 4
    assert "https://" not in html.replace("https://example.org", "")  # no CDN, no remote asset


def test_hostile_name_is_escaped_everywhere(runs):
    site = runs["tmp"] / "site"
    build(runs, site)
    for rel, data in tree(site).items():
        text = data.decode("utf-8")
        if rel.endswith((".html", ".svg")):
            assert "<script>window" not in text, rel
            assert 'onerror="window' not in text, rel
    index = (site / "index.html").read_text()
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in index
    # The embedded JSON cannot close its <script> element.
    block = index.split('id="board-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block
    assert json.loads(block)["models"][2]["name"] == HOSTILE


def test_scores_averages_and_downloads_agree(runs):
    site = runs["tmp"] / "site"
    build(runs, site)
    data = json.loads((site / "data/leaderboard.json").read_text())
    rows = {m["model_name"]: m for m in data["models"]}
    cpt = rows[CPT]
    fam = [s for s in SETS if s.family == "mcq_native"]
    assert cpt["families"]["mcq_native"] == pytest.approx(
        sum(cpt["scores"][s.name]["score"] for s in fam) / len(fam)
    )
    assert cpt["overall"] == pytest.approx(sum(cpt["families"].values()) / 3)
    assert [m["rank"] for m in data["models"]] == [1, 2, 3, 4]
    overall = [m["overall"] for m in data["models"]]
    assert overall == sorted(overall, reverse=True)
    # Interval from medfr-signif when it has one, bootstrap from the sample log otherwise.
    assert cpt["scores"]["medqa_4opt"]["ci_source"] == "medfr-signif"
    assert cpt["scores"]["medqa_4opt"]["ci_low"] == 0.11
    assert cpt["scores"]["kqa"]["ci_source"] == "bootstrap"
    assert cpt["run_card"]["gpu_hours"] == 384.0 and cpt["strategy"] == "CPT"
    assert cpt["base_slug"] == slugify(BASE)
    assert cpt["vs_base"]["rates"]["all"]["win"] == pytest.approx(7 / 15)
    sft = rows[SFT]
    assert (sft["name"], sft["strategy"], sft["base_model"]) == (
        "MedMistral-SFT (test)",
        "SFT",
        BASE,
    )
    assert sft["links"] == [{"title": "code", "url": "https://example.org/medfr"}]
    with open(site / "data/leaderboard.csv", newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [r["model_name"] for r in table] == [m["model_name"] for m in data["models"]]
    assert float(table[0]["kqa"]) == pytest.approx(data["models"][0]["scores"]["kqa"]["score"])


def test_model_page_shows_card_and_decisions(runs):
    site = runs["tmp"] / "site"
    build(runs, site)
    page = (site / "models" / f"{slugify(CPT)}.html").read_text()
    assert '<th scope="row">GPU-hours</th><td>384</td>' in page
    assert page.count('class="d-win"') == 7 and page.count('class="d-loss"') == 4
    assert f'href="{slugify(BASE)}.html"' in page
    task = (site / "tasks/frmedmcqa.html").read_text()
    assert "emr,none" in task and "Répondez par une seule lettre." in task


def test_rebuild_gives_same_bytes(runs):
    a, b = runs["tmp"] / "a", runs["tmp"] / "b"
    assert build(runs, a) == 0 and build(runs, b) == 0
    assert tree(a) == tree(b)
    assert build(runs, a) == 0  # rebuilding over a previous site replaces it
    assert tree(a) == tree(b)


def test_failed_build_keeps_previous_site(runs, capsys):
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    before = tree(site)
    (runs["entries"] / "bad.yaml").write_text("model: x\ncolour: bleu\n")
    assert build(runs, site) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "colour" in err
    assert tree(site) == before
    assert not [p for p in site.parent.iterdir() if ".tmp-" in p.name]


def test_refuses_to_replace_a_foreign_folder(runs, capsys):
    home = runs["tmp"] / "mine"
    home.mkdir()
    (home / "thesis.tex").write_text("important")
    assert build(runs, home) == 2
    assert "refusing to replace" in capsys.readouterr().err
    assert (home / "thesis.tex").read_text() == "important"


def test_builder_does_not_import_torch_or_lm_eval():
    modules = ["medfr_eval.board.cli", "medfr_eval.board.build"]
    assert loaded_by(modules, ["torch", "lm_eval", "transformers"]) == []


def test_reads_what_medfr_signif_writes(runs, capsys):
    """The real medfr-signif output (not our hand-made JSON) feeds intervals and decisions."""
    from medfr_eval.cli import signif_main

    out = runs["tmp"] / "signif"
    assert (
        signif_main(
            [str(runs["out"]), "--baseline", BASE, "--resamples", "1000", "--out", str(out)]
        )
        == 0
    )
    site = runs["tmp"] / "site"
    assert (
        main(
            [
                "build",
                str(runs["out"]),
                "--signif",
                str(out / "signif.json"),
                "--board",
                str(runs["entries"]),
                "-o",
                str(site),
            ]
        )
        == 0
    )
    data = json.loads((site / "data/leaderboard.json").read_text())
    rows = {m["model_name"]: m for m in data["models"]}
    sft = rows[SFT]  # its base comes from its entry; medfr-signif knows it by model_name
    assert len(sft["vs_base"]["sets"]) == 15
    assert set(sft["vs_base"]["rates"]) == {"all", "mcq_translated", "mcq_native", "openqa"}
    assert all(
        s["ci_source"] == "medfr-signif" for m in rows.values() for s in m["scores"].values()
    )
