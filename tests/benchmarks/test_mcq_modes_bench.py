"""Smoke test of ``benchmarks/mcq_scoring.py --modes``: its pass counts are claims, checked here."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH))  # mcq_scoring imports its sibling mcq_modes
    spec = importlib.util.spec_from_file_location("medfr_bench_mcq_modes", BENCH / "mcq_scoring.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)
    sys.path.remove(str(BENCH))


def test_modes_pass_counts(bench, tiny_model_dir, tmp_path, capsys):
    out = tmp_path / "modes.json"
    argv = ["--modes", "--model", str(tiny_model_dir), "--task", "pubmedqa", "--n", "8"]
    argv += ["--batch-size", "4", "--repeats", "1", "--permutations", "2", "--json", str(out)]
    assert bench.main(argv) == 0
    rep = json.loads(out.read_text(encoding="utf-8"))
    passes = rep["passes_per_question"]
    assert passes["restricted (hf log-likelihood)"] == 1.0
    assert passes["restricted, K=2 permutations"] == 3.0
    assert passes["constrained (medfr-hf)"] == 1.0
    assert (
        passes["free greedy 1 token (medfr-hf, letter probs)"]
        == passes["free greedy 1 token (plain hf)"]
        == 1.0
    )
    assert rep["goals"]["restricted_one_pass"] and rep["goals"]["permutations_k_plus_1"]
    assert rep["goals"]["letter_probs_no_extra_pass"]
    assert "constrained / free greedy 1-token" in capsys.readouterr().out


def test_modes_refuses_too_many_permutations(bench, tiny_model_dir, capsys):
    argv = ["--modes", "--model", str(tiny_model_dir), "--task", "pubmedqa", "--permutations", "3"]
    assert bench.main(argv) == 2
    assert "--permutations" in capsys.readouterr().err
