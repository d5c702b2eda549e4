"""Fixtures of the MCQ tests: tiny models tuned to prefer a multi-letter set or a letter."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


def fine_tune(
    base_dir: Path,
    out_dir: Path,
    prompts: list[str],
    answer: str,
    steps: int = 30,
    lr: float = 3e-3,
) -> Path:
    """Copy the tiny model and train it on ``prompt + answer`` (loss on the answer tokens only)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(base_dir)
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    batches = []
    for p in prompts:
        ctx = tok(p)["input_ids"]
        full = tok(p + answer)["input_ids"]
        labels = [-100] * len(ctx) + full[len(ctx) :]
        batches.append((torch.tensor([full]), torch.tensor([labels])))
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for step in range(steps):
        ids, labels = batches[step % len(batches)]
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir


def _prompts(set_name: str) -> list[str]:
    from medfr_eval.core.sets import get_set
    from medfr_eval.data.load import build_docs, load_records

    es = get_set(set_name)
    return [d["prompt"] for d in build_docs(es, load_records(es.name, "sample"))]


@pytest.fixture(scope="session")
def multi_tuned_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model after a few steps on FrMedMCQA prompts answered " A C" + newline."""
    return fine_tune(
        tiny_model_dir, tmp_path_factory.mktemp("tuned_multi"), _prompts("frmedmcqa"), " A C\n"
    )


@pytest.fixture(scope="session")
def evaluate(sample_task_manager):
    """``lm_eval.simple_evaluate`` on the shipped samples, CPU, with sample logs."""
    import lm_eval

    def run(model, model_dir, tasks, task_manager=None, **kwargs):
        return lm_eval.simple_evaluate(
            model=model,
            model_args=f"pretrained={model_dir},dtype=float32",
            tasks=tasks,
            task_manager=task_manager or sample_task_manager,
            log_samples=True,
            device="cpu",
            batch_size=8,
            **kwargs,
        )

    return run
