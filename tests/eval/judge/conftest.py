"""Judge fixtures: a clean judge environment with a private verdict cache."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

JUDGE_VARS = (
    "MEDFR_JUDGE_URL",
    "MEDFR_JUDGE_MODEL",
    "MEDFR_JUDGE_API_KEY",
    "MEDFR_JUDGE_CACHE",
    "MEDFR_JUDGE_CONCURRENCY",
    "MEDFR_JUDGE_TIMEOUT",
    "MEDFR_JUDGE_RETRIES",
    "MEDFR_JUDGE_BATCH_SIZE",
    "MEDFR_JUDGE_DEVICE",
    "MEDFR_PROMPTS",
)


@pytest.fixture()
def judge_env(monkeypatch, tmp_path):
    """No judge configured, the cache in ``tmp_path``; tests set what they need."""
    for name in JUDGE_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MEDFR_JUDGE_CACHE", str(tmp_path / "verdicts.sqlite3"))
    return monkeypatch
