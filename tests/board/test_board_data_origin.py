"""Where each run's data came from: public sources named, sizes stated, no local path."""

from __future__ import annotations

import json
from pathlib import Path

from board_fixtures import BASE, CPT, SFT, write_run

from medfr_eval.cli import board_main as main
from medfr_eval.core.sets import BY_TASK, SETS

BIOMISTRAL = "BioMistral/BioInstructQA@e8b529351e63e3060328ed50739a004537779eb4"


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


def site_text(site: Path) -> dict[str, str]:
    return {
        str(p.relative_to(site)): p.read_text(encoding="utf-8")
        for p in sorted(site.rglob("*"))
        if p.is_file() and p.suffix in (".html", ".json", ".csv", ".svg", ".js", ".css")
    }


def edit_results(folder: Path, change) -> None:
    (path,) = folder.glob("results_*.json")
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def build_one(tmp_path: Path, out: Path, *extra: str) -> int:
    return main(["build", str(out), "--board", str(tmp_path / "entries"), "-o",
                 str(tmp_path / "site"), *extra])  # fmt: skip


def test_sample_data_gets_a_banner_and_no_study_claim(tmp_path, capsys):
    out = tmp_path / "out"
    folder = write_run(out, BASE, 0.4, seed=1)

    def asked_for_samples(data):
        for cfg in data["configs"].values():
            cfg["metadata"]["medfr_data"] = "sample"

    edit_results(folder, asked_for_samples)
    assert build_one(tmp_path, out) == 0
    assert "sample data" in capsys.readouterr().err  # the builder is told too
    for rel, text in site_text(tmp_path / "site").items():
        if rel.endswith(".html"):
            assert 'id="data-banner"' in text and "Demo board, sample data." in text, rel
            assert "study's test-set sizes." not in text, rel
    data = json.loads((tmp_path / "site/data/leaderboard.json").read_text())
    assert data["data"]["kind"] == "sample" and data["models"][0]["data"] == "sample"


def test_other_sizes_get_a_banner_study_sizes_do_not(tmp_path, capsys):
    out = tmp_path / "out"
    write_run(out, BASE, 0.4, seed=1)  # 12 items per set: neither study nor shipped sizes
    assert build_one(tmp_path, out) == 0
    index = (tmp_path / "site/index.html").read_text()
    assert "Not the study's test sets." in index and "12 items per set" in index

    def study_sizes(data):
        for task, counts in data["n-samples"].items():
            counts["original"] = BY_TASK[task].study_size

    edit_results(next(out.iterdir()), study_sizes)
    assert build_one(tmp_path, out) == 0
    assert "not every run" not in capsys.readouterr().err.split("\n")[-2]
    index = (tmp_path / "site/index.html").read_text()
    assert 'id="data-banner"' not in index
    assert "every run has the study's test-set sizes." in index
