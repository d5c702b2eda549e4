"""Smoke test of benchmarks/contamination_memory.py: tiny files, its claims only, no timing.

The three layouts hold the same sentences; each run must succeed, and the table
must give every layout's peak memory and its ratio to the baseline."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "contamination_memory.py"


def test_benchmark_runs_every_layout_and_prints_ratios(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("medfr_bench_contamination_memory", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        paths = module.build(tmp_path, 0.05)
        texts = {k: p.read_text(encoding="utf-8") for k, p in paths.items()}
        assert "\n\n" in texts["documents"] and "\n\n" not in texts["one_document"]
        assert "\n" not in texts["one_line"]
        assert len({" ".join(t.split()) for t in texts.values()}) == 1  # the same words
        status = module.main(["--mb", "0.05", "--json", str(tmp_path / "m.json")])
    finally:
        sys.modules.pop(spec.name, None)
    out = capsys.readouterr().out
    assert status == 0
    rows = [line.split() for line in out.splitlines() if line.startswith("ours ")]
    assert [r[1] for r in rows] == ["documents", "one_document", "one_line"]
    assert rows[0][4] == "1.00" and all(float(r[3]) > 0 for r in rows)
    assert "goal: peak RSS without blank lines <= 1.25 x baseline:" in out
