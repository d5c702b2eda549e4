"""2 CPU processes (gloo): ranks see disjoint blocks and end where the 1-process run ends."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(trace) -> dict[str, str]:
    env = dict(os.environ, MEDFR_TRACE_DIR=str(trace), OMP_NUM_THREADS="1")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("HF_DATASETS_OFFLINE", "1")
    return env


def _blocks(path) -> list[str]:
    return [json.loads(line)["block"] for line in path.read_text().splitlines()]


def test_two_process_cpt_matches_one_process(cpt_recipe, tmp_path):
    from safetensors.torch import load_file

    common = ["--max_steps", "6", "--use_cpu", "true", "--block_size", "64"]
    two, one = tmp_path / "two", tmp_path / "one"
    # same global batch: 2 ranks x 2 = 1 rank x 4
    cmd2 = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
        "--master_port", str(_free_port()), "-m", "medfr_train.cli", "recipe", str(cpt_recipe),
        "--output_dir", str(two), "--per_device_train_batch_size", "2", *common,
    ]  # fmt: skip
    r = subprocess.run(cmd2, env=_env(tmp_path / "t2"), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    cmd1 = [
        sys.executable, "-m", "medfr_train.cli", "recipe", str(cpt_recipe),
        "--output_dir", str(one), "--per_device_train_batch_size", "4", *common,
    ]  # fmt: skip
    r = subprocess.run(cmd1, env=_env(tmp_path / "t1"), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]

    card = json.loads((two / "run_card.json").read_text())
    assert card["hardware"]["num_processes"] == 2
    assert card["tokens_seen"] == json.loads((one / "run_card.json").read_text())["tokens_seen"]
    r0, r1 = _blocks(tmp_path / "t2" / "rank0.jsonl"), _blocks(tmp_path / "t2" / "rank1.jsonl")
    assert r0 and r1 and not set(r0) & set(r1)  # disjoint shards
    assert sorted(r0 + r1) == sorted(_blocks(tmp_path / "t1" / "rank0.jsonl"))
    a, b = load_file(two / "model.safetensors"), load_file(one / "model.safetensors")
    diff = max((a[k] - b[k]).abs().max().item() for k in a)
    assert diff < 1e-5, diff
