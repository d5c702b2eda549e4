"""The reliability diagram: drawn from sample-log records, reproducible, without torch."""

from __future__ import annotations

import subprocess
import sys

from medfr_eval.mcq.reliability import calibration_records, reliability_diagram

SAMPLES = [
    {"ece": {"probs": {"A": 0.9, "B": 0.1}, "gold": ["A"], "confidence": 0.9, "correct": 1.0}},
    {"ece": {"probs": {"A": 0.6, "B": 0.4}, "gold": ["B"], "confidence": 0.6, "correct": 0.0}},
    {"acc": 1.0},  # an item without probabilities (plain hf, free generation)
]


def test_records_and_svg(tmp_path):
    records = calibration_records(SAMPLES)
    assert len(records) == 2
    out = tmp_path / "rel.svg"
    assert reliability_diagram({"tiny $x$": records}, out, title="medqa")
    first = out.read_bytes()
    assert b"<svg" in first and b"ECE" in first
    assert reliability_diagram({"tiny $x$": records}, out, title="medqa")
    assert out.read_bytes() == first  # same inputs, same file
    assert not reliability_diagram({"empty": []}, tmp_path / "none.svg")
    assert not (tmp_path / "none.svg").exists()


def test_no_torch_import(tmp_path):
    code = (
        "import sys\n"
        "from medfr_eval.mcq.reliability import reliability_diagram\n"
        f"reliability_diagram({{'m': [{{'confidence': 0.7, 'correct': 1.0}}]}}, {str(tmp_path / 'r.svg')!r})\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'lm_eval' not in sys.modules, 'lm_eval imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
