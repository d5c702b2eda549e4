"""Runs that log the English twins (``medfr_en_*``) beside the study's sets: the English
family is compared as its own family, never mixed into a study family or the "all" row."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from medfr_eval.cli import signif_main as main

sys.path.insert(0, str(Path(__file__).parent))
from signif_fixtures import binary, write_run  # noqa: E402

FRENCH = ("medfr_pubmedqa", "medfr_mmlu_anatomy")
ENGLISH = ("medfr_en_pubmedqa", "medfr_en_mmlu_anatomy")


def _both(root: Path, name: str, fr_ones: int, en_ones: int) -> None:
    write_run(root, name, {t: binary(60, fr_ones) for t in FRENCH})
    write_run(root, name, {t: binary(60, en_ones) for t in ENGLISH},
              question="Made-up question", date="2026-01-02T10-11-13.000000")  # fmt: skip


@pytest.mark.parametrize("gap", [False, True], ids=["grid", "grid-and-gap"])
def test_english_twins_form_their_own_family(tmp_path, gap):
    out = tmp_path / "o"
    _both(out, "a", 50, 55)
    _both(out, "b", 20, 15)
    res = tmp_path / "r"
    args = [str(out), "--out", str(res), "--resamples", "500"]
    assert main(args + (["--translation-gap"] if gap else [])) == 0
    data = json.loads((res / "signif.json").read_text())
    by_task = {c["task"]: c for c in data["comparisons"]}
    assert set(by_task) == {*FRENCH, *ENGLISH}
    assert {by_task[t]["family"] for t in ENGLISH} == {"mcq_english"}
    fams = {f["family"]: f for f in data["family_comparisons"]}
    assert set(fams) == {"mcq_translated", "mcq_english"}
    assert sorted(fams["mcq_translated"]["tasks"]) == sorted(FRENCH)
    assert sorted(fams["mcq_english"]["tasks"]) == sorted(ENGLISH)
    assert fams["mcq_english"]["diff"] == pytest.approx(40 / 60)
    assert data["method"]["m_families"] == 2
    rates = {w["family"]: w for w in data["win_rates"]}
    assert rates["all"]["n_sets"] == 2  # the study's sets only
    assert rates["mcq_english"]["n_sets"] == 2
    md = (res / "signif.md").read_text()
    assert "English MCQ (twins of the translated MCQ)" in md
    if gap:
        assert data["method"]["m_translation_gap"] == 4  # 2 runs x 2 sets
