"""A bad MEDFR_DATA row or prompt template is found before lm-eval loads the model: one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from medfr_eval.errors import DataError
from medfr_eval.preflight import check_data

GOOD = {"id": "1", "question": "q", "options": ["a", "b", "c", "d"], "answer": "A"}


def _folder(tmp_path, *rows):
    d = tmp_path / "data"
    d.mkdir()
    (d / "medqa_4opt.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return d


def test_lm_eval_cli_stops_on_a_bad_row_before_loading_the_model(tmp_path):
    d = _folder(tmp_path, GOOD, {**GOOD, "id": "2", "answer": "F"})
    env = dict(os.environ, MEDFR_DATA=str(d), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    # the model does not exist: reaching the model loader would be another error
    cmd = [sys.executable, "-m", "lm_eval", "--tasks", "medfr_medqa_4opt", "--model", "hf",
           "--model_args", f"pretrained={tmp_path / 'no-such-model'}", "--device", "cpu"]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert errors == [
        f"error: {d / 'medqa_4opt.jsonl'}:2: answer: expected one of A, B, C, D, got 'F'"
    ]


def test_groups_check_every_requested_file(tmp_path):
    d = _folder(tmp_path, GOOD)
    assert check_data(["medfr_all"], {"medfr_data": str(d)}) == 1
    assert check_data("medfr_medqa_4opt,medfr_pubmedqa", {"medfr_data": str(d)}) == 1
    assert check_data(["hellaswag"], {"medfr_data": str(d)}) == 0
    (d / "medqa_4opt.jsonl").write_bytes(b'{"id": "\xe9"}\n')
    with pytest.raises(DataError, match="medqa_4opt.jsonl:1: not UTF-8"):
        check_data(["medfr_all"], {"medfr_data": str(d)})


def test_a_broken_prompt_template_is_found_before_the_model(tmp_path):
    p = tmp_path / "prompts"
    p.mkdir()
    (p / "mcq.j2").write_text("{{ question.__class__.__mro__ }}")
    with pytest.raises(DataError, match="prompt template error"):
        check_data(["medfr_medqa_4opt"], json.dumps({"medfr_prompts": str(p)}))
