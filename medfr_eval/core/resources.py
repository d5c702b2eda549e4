"""Where our shipped data folders live, installed or in a checkout.

A wheel carries ``tasks/``, ``studies/``, ``leaderboard/`` inside ``medfr_eval`` and
``recipes/`` inside ``medfr_train`` (pyproject's ``force-include``). In a source
checkout or an editable install the same folders sit at the repository root,
beside the packages. One lookup serves both, so no code path cares which.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parents[1]  # medfr_eval/, above core/
_ROOT = _PKG.parent


def _find(installed: Path, in_checkout: Path) -> Path:
    for candidate in (installed, in_checkout):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"medfr data folder not found: looked in {installed} and {in_checkout}; "
        "the installation is incomplete, reinstall medfr"
    )


def tasks_dir() -> Path:
    """The lm-eval task folder (YAML, prompts, samples)."""
    return _find(_PKG / "tasks", _ROOT / "tasks")


def samples_dir() -> Path:
    """The small sample sets written by us, one JSONL file per set."""
    return tasks_dir() / "samples"


def recipes_dir() -> Path:
    """The training recipes folder."""
    return _find(_ROOT / "medfr_train" / "recipes", _ROOT / "recipes")


def studies_dir() -> Path:
    """The shipped study files (``<name>.yaml``) and their paper tables."""
    return _find(_PKG / "studies", _ROOT / "studies")


def leaderboard_dir() -> Path:
    """The leaderboard's templates and entries."""
    return _find(_PKG / "leaderboard_data", _ROOT / "leaderboard")
