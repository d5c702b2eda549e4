"""Issue 15, "wrong or misleading": the site claims only what the runs show.

Each test failed on the board before this change: the footer always said the models
were evaluated on the study's 15 test sets, a model with no entry or run card was
listed as a starting model, and local paths (model folders, recipe outputs) reached
the pages and the downloads.
"""

from __future__ import annotations

import json
from pathlib import Path

from board_fixtures import BASE, CPT, build, run_card, write_run

from medfr_eval.board.table import slugify
from medfr_eval.cli import board_main as main
from medfr_eval.sets import BY_TASK


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


def test_strategy_is_never_guessed(tmp_path):
    out = tmp_path / "out"
    write_run(out, BASE, 0.3, seed=1)  # neither entry nor run card: nothing says "base"
    card_dir = tmp_path / "models" / "tiny-base"
    card_dir.mkdir(parents=True)
    (card_dir / "run_card.json").write_text(json.dumps(run_card(CPT, "tiny-random", "CPT", 0.0)))
    write_run(out, CPT, 0.5, seed=2, pretrained=str(card_dir))
    assert build_one(tmp_path, out) == 0
    data = json.loads((tmp_path / "site/data/leaderboard.json").read_text())
    rows = {m["name"]: m for m in data["models"]}
    assert rows[BASE]["strategy"] == "unknown"
    # The run card's word is evidence: CPT from a model that is not on the board.
    assert (rows[CPT]["strategy"], rows[CPT]["base_model"]) == ("CPT", "tiny-random")
    page = (tmp_path / "site/models" / f"{slugify(CPT)}.html").read_text()
    assert "tiny-random (not on this board)" in page
    base_page = (tmp_path / "site/models" / f"{slugify(BASE)}.html").read_text()
    assert "not stated" in base_page


def test_no_local_path_reaches_the_site(tmp_path):
    """lm-eval names a local model by its path; run cards hold recipe paths."""
    out = tmp_path / "eval"
    model_dir = tmp_path / "models" / "tiny-cpt-sft"
    stage_dir = model_dir / "sft"
    stage_dir.mkdir(parents=True)
    card = run_card("tiny-cpt-sft", str(tmp_path / "models" / "tiny-base"), "CPT+SFT", 0.5)
    card["recipe"] = {"model_name_or_path": str(tmp_path / "models/tiny-base"),
                      "output_dir": str(model_dir), "dataset_files": [str(tmp_path / "qa.jsonl")]}  # fmt: skip
    card["recipe_file"] = str(tmp_path / "recipes/cpt_sft.yaml")
    card["stages"] = [{"stage": "sft", "output_dir": str(stage_dir), "global_steps": 3}]
    card["hardware"] = {"device": "cpu", "gpus": 0, "fp16": None, "tf32": True}
    (stage_dir / "run_card.json").write_text(json.dumps(card))
    write_run(out, str(stage_dir), 0.5, seed=2, pretrained=str(stage_dir))
    write_run(out, str(tmp_path / "models" / "plain"), 0.4, seed=3)
    assert build_one(tmp_path, out) == 0
    site = tmp_path / "site"
    for rel, text in site_text(site).items():
        assert str(tmp_path) not in text, rel
        assert "/tmp/" not in text, rel
    data = json.loads((site / "data/leaderboard.json").read_text())
    names = sorted((m["name"], m["model_name"]) for m in data["models"])
    assert names == [("plain", "plain"), ("tiny-cpt-sft", "tiny-cpt-sft")]
    page = (site / "models" / f"{slugify('tiny-cpt-sft')}.html").read_text()
    # Config as a table of readable values, never a Python dict or None/True.
    assert "{'" not in page and "None" not in page and "True" not in page
    assert "device: cpu; gpus: 0; fp16: —; tf32: yes" in page
    assert (
        "<code>recipe</code>" not in page
        and "<code>output_dir</code></th><td>tiny-cpt-sft</td>" in page
    )


def test_model_page_numbers_and_metric_labels(runs):
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    page = (site / "models" / f"{slugify(CPT)}.html").read_text()
    assert "BERTScore F1" in page and "bertscore_f1,bertscore<" not in page
    assert "Exact match ratio (EMR)" in page
    assert "384 h 00 min" in page  # wall time 1,382,400 s
    for raw in ("None", "True", "{'"):
        assert raw not in page
