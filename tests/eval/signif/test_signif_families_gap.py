"""Family-level tests, warnings on shaky numbers, the translation gap and the one naming rule."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from medfr_eval import signif
from medfr_eval.board.collect import read_run as board_read_run
from medfr_eval.board.table import Model
from medfr_eval.cli import signif_main as main
from medfr_eval.signif import bootstrap as bs
from medfr_eval.signif.families import family_distribution

sys.path.insert(0, str(Path(__file__).parent))
from signif_fixtures import DATE, binary, write_run  # noqa: E402


def test_family_distribution_is_the_mean_of_the_sets_resampled_differences():
    d1 = bs.bootstrap_distribution(binary(50, 40), binary(50, 20), resamples=500, seed=1)
    d2 = bs.bootstrap_distribution(binary(30, 10), binary(30, 15), resamples=500, seed=2)
    fam = family_distribution([d1, d2])
    assert fam.estimate == pytest.approx((0.4 - 1 / 6) / 2)
    assert np.allclose(fam.samples, (d1.samples + d2.samples) / 2)
    assert fam.n == 80


def test_family_comparisons_in_json_and_markdown(tmp_path):
    out = tmp_path / "o"
    write_run(out, "a", {"medfr_pubmedqa": binary(100, 80), "medfr_medqa_4opt": binary(100, 70)})
    write_run(out, "b", {"medfr_pubmedqa": binary(100, 40), "medfr_medqa_4opt": binary(100, 30)})
    res = tmp_path / "r"
    assert main([str(out), "--out", str(res), "--resamples", "2000"]) == 0
    data = json.loads((res / "signif.json").read_text())
    (fam,) = data["family_comparisons"]
    assert fam["family"] == "mcq_translated" and fam["diff"] == pytest.approx(0.4)
    assert fam["tasks"] == ["medfr_medqa_4opt", "medfr_pubmedqa"] or set(fam["tasks"]) == {
        "medfr_medqa_4opt", "medfr_pubmedqa"}  # fmt: skip
    assert fam["decision"] == "win" and fam["ci_low"] > 0 and data["method"]["m_families"] == 1
    assert "Comparisons per family" in (res / "signif.md").read_text()


def test_shaky_numbers_are_warned_about_with_the_fix(tmp_path):
    out = tmp_path / "o"
    rng = np.random.default_rng(0)
    base = rng.uniform(0.4, 0.6, 30)
    write_run(out, "a", {"medfr_frclinicalqa": (base + 0.1).tolist()})  # 10 cases of 3
    write_run(out, "b", {"medfr_frclinicalqa": base.tolist()})
    res = tmp_path / "r"
    assert main([str(out), "--out", str(res), "--resamples", "300"]) == 0
    data = json.loads((res / "signif.json").read_text())
    by_kind = {w["kind"]: w["message"] for w in data["warnings"]}
    # alpha/2 * 300 = 7.5 resamples per tail; 20 / 0.025 = 800 resamples.
    assert (
        "holds 7.5 of the 300" in by_kind["resamples"] and "--resamples 800" in by_kind["resamples"]
    )
    assert "10 clusters" in by_kind["clusters"] and "anti-conservative" in by_kind["clusters"]
    md = (res / "signif.md").read_text()
    assert "--resamples 800" in md and "anti-conservative" in md
    assert main([str(out), "--out", str(res), "--no-cluster", "--resamples", "800"]) == 0
    assert json.loads((res / "signif.json").read_text())["warnings"] == []


def _twins(root: Path, name: str, fr: list[float], en: list[float], **kw) -> Path:
    folder = write_run(root, name, {"medfr_pubmedqa": fr, "medfr_mmlu_anatomy": fr})
    # The English twins: same doc ids and identifiers, English questions, their own date.
    date = "2026-01-02T10-11-13.000000"
    write_run(root, name, {"medfr_en_pubmedqa": en, "medfr_en_mmlu_anatomy": en},
              question="Made-up question", date=date, **kw)  # fmt: skip
    return folder


def test_translation_gap_pairs_french_and_english_by_doc_id(tmp_path):
    out = tmp_path / "o"
    _twins(out, "org/m", binary(100, 50), binary(100, 80))
    res = tmp_path / "r"
    assert main([str(out), "--translation-gap", "--out", str(res), "--resamples", "2000"]) == 0
    data = json.loads((res / "signif.json").read_text())
    assert data["comparisons"] == [] and data["models"] == ["org/m"]
    gaps = {g["task"]: g for g in data["translation_gap"]}
    assert set(gaps) == {"medfr_pubmedqa", "medfr_mmlu_anatomy"}
    g = gaps["medfr_pubmedqa"]
    assert (g["task_en"], g["n"], g["score_fr"], g["score_en"]) == (
        "medfr_en_pubmedqa",
        100,
        0.5,
        0.8,
    )
    assert g["gap"] == pytest.approx(-0.3) and g["ci_high"] < 0 and g["decision"] == "loss"
    assert g["level"] == pytest.approx(1 - 0.05 / 2) and data["method"]["m_translation_gap"] == 2
    md = (res / "signif.md").read_text()
    assert "Translation gap" in md and "English better" in md
    # Without the flag the twins are not medfr sets of the grid: one model, an error.
    assert main([str(out), "--out", str(res)]) == 2


def test_translation_gap_refuses_twins_that_hold_other_items(tmp_path, capsys):
    out = tmp_path / "o"
    folder = _twins(out, "m", binary(20, 10), binary(20, 12))
    log = folder / "samples_medfr_en_pubmedqa_2026-01-02T10-11-13.000000.jsonl"
    lines = log.read_text().splitlines()
    rec = json.loads(lines[2])
    rec["doc"]["id"] = "pubmedqa-999"
    lines[2] = json.dumps(rec)
    log.write_text("\n".join(lines) + "\n")
    assert main([str(out), "--translation-gap", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "doc_id 2 is item 'pubmedqa-2' in French and 'pubmedqa-999' in English" in err
    assert str(log) in err and "doc.id" in err
    nothing = tmp_path / "n"
    write_run(nothing, "m", {"medfr_pubmedqa": binary(20, 10)})
    assert main([str(nothing), "--translation-gap", "--out", str(tmp_path / "r")]) == 2
    assert "medfr_en" in capsys.readouterr().err


def test_chained_model_is_named_alike_by_signif_and_the_board(tmp_path):
    trained = tmp_path / "models" / "tiny-cpt-sft" / "sft"
    trained.mkdir(parents=True)
    out = tmp_path / "o"
    folder = write_run(out, str(trained), {"medfr_pubmedqa": binary(40, 30)})
    write_run(out, "org/base", {"medfr_pubmedqa": binary(40, 10)})
    # No run card: the folder above the stage folder names the model.
    names = {r.name for r in signif.load_runs([out])}
    assert names == {"tiny-cpt-sft", "org/base"}
    assert Model(board_read_run(folder), None).name == "tiny-cpt-sft"
    # A run card beside the model wins, for both.
    (trained / "run_card.json").write_text(json.dumps({"model_name": "medfr/Tiny-CPT-SFT"}))
    assert {r.name for r in signif.load_runs([out])} == {"medfr/Tiny-CPT-SFT", "org/base"}
    assert Model(board_read_run(folder), None).name == "medfr/Tiny-CPT-SFT"
    res = tmp_path / "r"
    assert main([str(out), "--out", str(res), "--resamples", "100"]) == 0
    assert "medfr/Tiny-CPT-SFT" in json.loads((res / "signif.json").read_text())["models"]
    assert f"results_{DATE}.json" in {p.name for p in folder.iterdir()}
