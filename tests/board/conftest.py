"""Fixtures for the leaderboard tests; the file writers live in board_fixtures.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from board_fixtures import make_runs  # noqa: E402


@pytest.fixture
def runs(tmp_path) -> dict:
    """Four models: a base, a CPT model with a run card, an SFT model, a hostile name."""
    return make_runs(tmp_path)
