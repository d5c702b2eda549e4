"""Under the ``lm_eval`` command, what cannot run stops in one ``error:`` line, exit 2, before loading."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess

import pytest

LM_EVAL = shutil.which("lm_eval")


def _run(tmp_path, *args):
    cmd = [LM_EVAL, "--model_args", f"pretrained={tmp_path / 'no_model'}", *args]
    cmd += ["--metadata", json.dumps({"medfr_data": "sample"})]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)


@pytest.mark.skipif(LM_EVAL is None, reason="lm_eval command not on PATH")
def test_constrained_on_plain_hf(tmp_path):
    out = _run(tmp_path, "--model", "hf", "--tasks", "medfr_medqa_4opt_constrained")
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: model: medfr_medqa_4opt_constrained: constrained decoding needs "
        "--model medfr-hf (or medfr-vllm), not --model hf"
    ]
    assert "Traceback" not in out.stderr


@pytest.mark.skipif(LM_EVAL is None, reason="lm_eval command not on PATH")
@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM installed")
def test_medfr_vllm_without_vllm(tmp_path):
    out = _run(tmp_path, "--model", "medfr-vllm", "--tasks", "medfr_pubmedqa_constrained")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "error: model: --model medfr-vllm needs vLLM" in out.stderr
