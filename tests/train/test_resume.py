"""Resume: a run killed (SIGKILL) after a checkpoint ends with the weights of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow


def test_killed_run_resumes_to_the_same_weights(cpt_recipe, tmp_path):
    from safetensors.torch import load_file

    env = dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    common = [
        "--max_steps", "60", "--save_strategy", "steps", "--save_steps", "5",
        "--block_size", "64", "--per_device_train_batch_size", "2", "--learning_rate", "2e-3",
    ]  # fmt: skip
    cli = [sys.executable, "-m", "medfr_train.cli", "recipe", str(cpt_recipe)]
    killed, full = tmp_path / "killed", tmp_path / "full"

    proc = subprocess.Popen(
        [*cli, "--output_dir", str(killed), *common],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.time() + 240
    while time.time() < deadline:
        if (killed / "checkpoint-10" / "trainer_state.json").exists() or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "run_card.json").exists() and not (killed / "model.safetensors").exists()
    done = sorted(int(p.name.split("-")[1]) for p in killed.glob("checkpoint-*"))
    assert done and done[-1] < 60

    r = subprocess.run([*cli, "--output_dir", str(killed), *common, "--resume"],
                       env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    card = json.loads((killed / "run_card.json").read_text())
    assert card["stages"][0]["resumed_from"].endswith(f"checkpoint-{done[-1]}")

    r = subprocess.run([*cli, "--output_dir", str(full), *common],
                       env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    a, b = load_file(killed / "model.safetensors"), load_file(full / "model.safetensors")
    diff = max((a[k] - b[k]).abs().max().item() for k in a)
    assert diff < 1e-6, diff
    assert card["tokens_seen"] == json.loads((full / "run_card.json").read_text())["tokens_seen"]
