"""Smoke test of ``benchmarks/study.py``, run small: its numbers are produced and its claims hold."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "study.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("medfr_bench_study", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_compare_part_on_the_shipped_study(bench, tmp_path):
    out = tmp_path / "bench.json"
    argv = ["--part", "compare", "--scale", "0.02", "--resamples", "200", "--json", str(out)]
    assert bench.main(argv) == 0
    rep = json.loads(out.read_text())["compare"]
    assert rep["figures"] == 11 * 18 and rep["resamples"] == 200
    assert rep["compare_s"] > 0 and rep["compare_cold_s"] > 0 and rep["bootstrap_s"] > 0
    assert set(rep["flags"]) <= {"reproduced", "above", "below"}


@pytest.mark.slow
def test_run_part_on_three_tiny_models(bench, tmp_path):
    out = tmp_path / "bench.json"
    assert bench.main(["--part", "run", "--tasks", "medfr_mmlu_anatomy", "--json", str(out)]) == 0
    rep = json.loads(out.read_text())["run"]
    assert rep["study_run"] > 0 and rep["hand"] > 0
    assert rep["ratio"] == pytest.approx(rep["study_run"] / rep["hand"])
