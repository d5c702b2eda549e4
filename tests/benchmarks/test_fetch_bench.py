"""Smoke test of benchmarks/fetch.py: its memory claim holds at small sizes.

The claim is that fetch's peak memory does not grow with the archive while
``json.load`` of the same file does; with a 15x larger archive the first
ratio must stay near 1 and the second must grow, so a change that made fetch
read the whole file would fail here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "fetch.py"


def test_fetch_memory_does_not_grow_with_the_archive(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("medfr_bench_fetch", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = module.main(
        [
            "--small-mb",
            "0.1",
            "--large-mb",
            "3",
            "--pad",
            "2000",
            "--json",
            str(tmp_path / "r.json"),
        ]
    )
    ratios = report["ratios"]
    assert ratios["json"] > 10
    assert ratios["fetch_peak"] < 1.5
    assert ratios["json_load_peak"] > 5
    # every record lands twice (French set and English twin)
    assert report["large"]["fetch"]["items"] == 2 * report["large"]["records"]
    assert "fetch peak" in capsys.readouterr().out
    assert (tmp_path / "r.json").is_file()
    sys.modules.pop("medfr_bench_fetch", None)
