"""Shared fixtures: offline by construction, tiny models built on the fly."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A 2-layer Mistral model + BPE tokenizer trained on our shipped French text."""
    from medfr_eval.demo.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny_mistral"))


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory) -> Path:
    """A 2-layer BERT for BERTScore, built offline."""
    from medfr_eval.demo.tiny import build_tiny_bert

    return build_tiny_bert(tmp_path_factory.mktemp("tiny_bert"))


@pytest.fixture()
def tiny_bertscore_env(tiny_bert_dir, monkeypatch):
    """Point the open-QA BERTScore filter at the tiny local BERT."""
    monkeypatch.setenv("MEDFR_BERTSCORE_MODEL", str(tiny_bert_dir))
    monkeypatch.setenv("MEDFR_BERTSCORE_LAYER", "2")
    monkeypatch.setenv("MEDFR_BERTSCORE_BATCH_SIZE", "16")
    return tiny_bert_dir


@pytest.fixture(scope="session")
def sample_task_manager():
    """A TaskManager with only our tasks, reading the shipped samples.

    Skipping lm-eval's own ~10,000 task files saves ~5 s per evaluation; the
    registration tests check the full default path separately.
    """
    import medfr_eval

    return medfr_eval.task_manager(include_defaults=False, metadata={"medfr_data": "sample"})


@pytest.fixture(scope="session")
def tiny_medfr_run(tmp_path_factory, tiny_model_dir, tiny_bert_dir, sample_task_manager):
    """One lm-eval run of all 15 sets on the samples with the tiny model, shared by the suite.

    Returns ``(results, output_path)``: ``results`` as ``simple_evaluate`` returns it
    (samples included, untouched), and the folder written by lm-eval's own
    ``EvaluationTracker``, as ``lm_eval --output_path OUT --log_samples`` writes it.
    """
    from lm_eval.loggers import EvaluationTracker
    from lmeval_run import save_run, tiny_bertscore, tiny_evaluate

    out = tmp_path_factory.mktemp("lm_eval_out")
    tracker = EvaluationTracker(output_path=str(out))
    with tiny_bertscore(tiny_bert_dir):
        results = tiny_evaluate(
            tiny_model_dir,
            ["medfr_all"],
            sample_task_manager,
            max_gen_toks=16,
            evaluation_tracker=tracker,
        )
    save_run(results, out, tracker)
    return results, out


@pytest.fixture(scope="session")
def fast_demo(tmp_path_factory):
    """``medfr demo --fast`` run once, as a user runs it (its own process, output piped).

    Returns ``(folder, completed process)``; the tests that read a finished demo share it."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("fast_demo") / "medfr-demo"
    medfr = Path(sys.executable).with_name("medfr")
    proc = subprocess.run(
        [str(medfr), "demo", "--out", str(out), "--fast"],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    return out, proc
