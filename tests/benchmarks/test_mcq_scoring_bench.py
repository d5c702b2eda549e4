"""Smoke test of benchmarks/mcq_scoring.py: tiny sizes, correctness only, no timing assertions.

The benchmark's claims (one forward pass per question through lm-eval, and the
same letter argmax as a bare transformers loop on every question) are checked
here on a small synthetic set, so a change that broke either would fail here
and not only in a number someone reads.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "mcq_scoring.py"


@pytest.fixture(scope="module")
def bench():
    """The script imported as a module (benchmarks/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("medfr_bench_mcq_scoring", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


@pytest.mark.parametrize("task,n", [("medqa_5opt", 20), ("pubmedqa", 9)])
def test_one_pass_per_question_and_same_predictions(
    bench, tiny_model_dir, tmp_path, capsys, task, n
):
    out = tmp_path / "report.json"
    argv = ["--model", str(tiny_model_dir), "--task", task, "--n", str(n)]
    argv += ["--batch-size", "4", "--repeats", "1", "--json", str(out)]
    assert bench.main(argv) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["n_questions"] == n
    assert report["ours_passes_per_question"] == 1.0
    assert report["ours"]["rows"] == n
    assert report["ours"]["calls"] == -(-n // 4)  # batches of 4 questions
    assert report["baseline"]["rows"] == n
    assert report["mismatches"] == 0 and report["mismatch_ids"] == []
    assert report["goals"]["passes"] and report["goals"]["agree"]
    assert len(report["ours"]["seconds"]) == len(report["baseline"]["seconds"]) == 1
    printed = capsys.readouterr().out
    assert "ours (lm-eval)" in printed and "baseline (bare transformers)" in printed
    assert "passes/question" in printed


def test_synthetic_records_follow_the_schema(bench):
    from medfr_eval.core.sets import get_set
    from medfr_eval.data.records import validate_records

    for name in ("medqa_4opt", "medqa_5opt", "pubmedqa"):
        records = bench.synthetic_records(name, 30)
        valid = validate_records(get_set(name), enumerate(records, start=1), f"{name}.jsonl")
        assert len(valid) == 30
        assert len({r["question"] for r in records}) > 1
        assert bench.synthetic_records(name, 30) == records  # same seed, same set


def test_multi_answer_task_is_refused(bench, tiny_model_dir, capsys):
    assert bench.main(["--model", str(tiny_model_dir), "--task", "frmedmcqa"]) == 2
    err = capsys.readouterr().err
    assert "frmedmcqa" in err and "mcq_multi" in err


def test_missing_data_file_is_named(bench, tiny_model_dir, tmp_path, capsys):
    argv = ["--model", str(tiny_model_dir), "--task", "medqa_4opt", "--data", str(tmp_path)]
    assert bench.main(argv) == 2
    assert str(tmp_path / "medqa_4opt.jsonl") in capsys.readouterr().err
