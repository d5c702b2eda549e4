"""Fixtures of the training tests: small French data written for these tests, tiny recipes."""

from __future__ import annotations

from pathlib import Path

import pytest
from train_helpers import write_corpus, write_recipe, write_sft


@pytest.fixture()
def train_data(tmp_path) -> dict[str, Path]:
    return {
        "corpus": write_corpus(tmp_path / "corpus.txt"),
        "sft": write_sft(tmp_path / "sft.jsonl"),
    }


@pytest.fixture()
def cpt_recipe(tmp_path, tiny_model_dir, train_data) -> Path:
    """A tiny CPT recipe in tmp_path (data beside it)."""
    return write_recipe(
        tmp_path / "cpt.yaml",
        f"""# tiny CPT recipe for tests
strategy: CPT
model_name_or_path: {tiny_model_dir}
dataset_files: [corpus.txt]
block_size: 32
output_dir: {tmp_path / "out_cpt"}
per_device_train_batch_size: 4
gradient_accumulation_steps: 1
num_train_epochs: 1
learning_rate: 1.0e-3
gradient_checkpointing: false
save_strategy: "no"
logging_steps: 1
""",
    )
