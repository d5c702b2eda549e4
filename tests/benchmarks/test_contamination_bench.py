"""Smoke test of benchmarks/contamination.py: tiny sizes, correctness only, no timing assertions.

The benchmark's claim that both sides (plain-Python tuples and our hashed
index) find the same contaminated items is checked on a small generated corpus.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "contamination.py"


def test_benchmark_runs_and_both_sides_agree(capsys):
    spec = importlib.util.spec_from_file_location("medfr_bench_contamination", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        status = module.main(
            ["--mb", "0.3", "--extra-items", "200", "--plant", "10", "--repeats", "1"]
        )
    finally:
        sys.modules.pop(spec.name, None)
    out = capsys.readouterr().out
    assert status == 0
    assert "same contaminated items: yes" in out
    found = [line.split()[-1] for line in out.splitlines() if line.startswith(("baseline", "ours"))]
    assert len(found) == 2 and found[0] == found[1] and int(found[0]) >= 10
    assert "goal >= 20 MB/s per core:" in out
