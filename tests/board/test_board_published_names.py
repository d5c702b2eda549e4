"""Names, strategies and values as published: never guessed, never a local path, readable."""

from __future__ import annotations

import json
from pathlib import Path

from board_fixtures import BASE, CPT, build, run_card, write_run

from medfr_eval.board.table import slugify
from medfr_eval.cli import board_main as main


def site_text(site: Path) -> dict[str, str]:
    return {
        str(p.relative_to(site)): p.read_text(encoding="utf-8")
        for p in sorted(site.rglob("*"))
        if p.is_file() and p.suffix in (".html", ".json", ".csv", ".svg", ".js", ".css")
    }


def build_one(tmp_path: Path, out: Path, *extra: str) -> int:
    return main(["build", str(out), "--board", str(tmp_path / "entries"), "-o",
                 str(tmp_path / "site"), *extra])  # fmt: skip


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
    text = "\n".join(site_text(site).values())
    for ch in ("\u202e", "\u2066", "\u2067", "\u2069"):
        assert ch not in text
    data = json.loads((site / "data/leaderboard.json").read_text())
    assert sorted(m["name"] for m in data["models"]) == ["Good model", "medfr-test/other"]
