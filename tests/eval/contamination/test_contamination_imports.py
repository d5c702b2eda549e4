"""The contamination check is evaluation-side code: no training stack, no torch, no lm-eval."""

from __future__ import annotations

import subprocess
import sys


def test_cli_imports_no_training_stack_nor_torch():
    code = (
        "import sys, medfr_eval.contamination.cli, medfr_eval.contamination.exclude\n"
        "bad = [m for m in ('trl', 'peft', 'accelerate', 'torch', 'lm_eval') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
