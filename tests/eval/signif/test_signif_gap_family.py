"""The translation gap's family (every run's gaps, corrected together) and the test that
decides the family and gap rows (the paired bootstrap whatever ``--test``, and they say so)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from medfr_eval.cli import signif_main as main

sys.path.insert(0, str(Path(__file__).parent))
from signif_fixtures import binary, write_run  # noqa: E402

TASKS = ("medfr_pubmedqa", "medfr_mmlu_anatomy")


def _run_with_twins(root: Path, name: str, fr: int, en: int) -> None:
    write_run(root, name, {t: binary(80, fr) for t in TASKS})
    write_run(root, name, {t.replace("medfr_", "medfr_en_"): binary(80, en) for t in TASKS},
              question="Made-up question", date="2026-01-02T10-11-13.000000")  # fmt: skip


def test_gaps_of_every_run_form_one_family(tmp_path):
    out = tmp_path / "o"
    for name, fr, en in (("a", 40, 50), ("b", 30, 30), ("c", 60, 20)):
        _run_with_twins(out, name, fr, en)
    res = tmp_path / "r"
    args = [str(out), "--translation-gap", "--out", str(res), "--resamples", "500"]
    assert main(args) == 0
    data = json.loads((res / "signif.json").read_text())
    assert data["method"]["m_translation_gap"] == 6 == len(data["translation_gap"])
    assert all(g["level"] == pytest.approx(1 - 0.05 / 6) for g in data["translation_gap"])
    note = next(n for n in json_notes(res) if n.startswith("Translation gap"))
    assert "the gaps of every run form one family, m = 6 (runs x sets)" in note


def json_notes(res: Path) -> list[str]:
    md = (res / "signif.md").read_text().splitlines()
    return [line[2:] for line in md if line.startswith("- ")]


@pytest.mark.parametrize("test", ["mcnemar", "permutation"])
def test_family_and_gap_rows_are_bootstrap_whatever_test_and_say_so(tmp_path, test):
    out = tmp_path / "o"
    _run_with_twins(out, "a", 60, 30)
    _run_with_twins(out, "b", 20, 30)
    res = tmp_path / "r"
    args = [str(out), "--translation-gap", "--test", test, "--out", str(res), "--resamples", "500"]
    assert main(args) == 0
    data = json.loads((res / "signif.json").read_text())
    assert data["method"]["test"] == test
    assert {c["test"] for c in data["comparisons"]} == {test}
    assert data["family_comparisons"] and data["translation_gap"]
    assert {f["test"] for f in data["family_comparisons"]} == {"bootstrap"}
    assert {g["test"] for g in data["translation_gap"]} == {"bootstrap"}
    said = f"--test {test} decides the per-set comparisons only"
    assert any(said in n for n in json_notes(res))
    md = (res / "signif.md").read_text()
    gap_rows = [r for r in md.splitlines() if r.startswith("| a | ") and "better" in r]
    assert gap_rows and all("| bootstrap |" in r for r in gap_rows)


def test_bootstrap_runs_carry_no_test_note(tmp_path):
    out = tmp_path / "o"
    _run_with_twins(out, "a", 60, 30)
    _run_with_twins(out, "b", 20, 30)
    res = tmp_path / "r"
    assert main([str(out), "--translation-gap", "--out", str(res), "--resamples", "300"]) == 0
    assert not any("decides the per-set comparisons only" in n for n in json_notes(res))
