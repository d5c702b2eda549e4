"""A missing-data error lists every set without data at once and says which are public."""

from __future__ import annotations

from pathlib import Path

import pytest
from lmeval_run import lm_eval_cli

from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import ALL_SETS
from medfr_eval.data.load import load_set

PRIVATE = [s.name for s in ALL_SETS if not s.public_source]
PUBLIC = [s.name for s in ALL_SETS if s.public_source]


def _check(message: str, folder: Path) -> None:
    assert f"Without data: {', '.join(PRIVATE)}: no public copy; request them" in message
    assert f"medfr data fetch -o {folder}" in message
    public_part = message.split("Public, not in the folder", 1)[1]
    for name in PUBLIC:
        assert name in public_part, name


def test_load_set_as_lm_eval_calls_it_names_every_missing_set(tmp_path):
    """``custom_dataset`` gets the task metadata and dataset_kwargs as keywords."""
    with pytest.raises(DataError) as err:
        load_set(medfr_set="frmedmcqa", medfr_data=str(tmp_path), version=1.0, pretrained="m")
    _check(str(err.value), tmp_path)


def test_lm_eval_run_stops_with_every_requested_set_before_the_model(tmp_path, monkeypatch):
    """Under ``lm_eval``, the requested sets are checked before the model loads (none here)."""
    monkeypatch.setenv("MEDFR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = lm_eval_cli(
        tmp_path / "no-such-model",
        "medfr_frbmedqa,medfr_medqa_4opt",
        "--metadata",
        f'{{"medfr_data": "{tmp_path}"}}',
    )
    assert out.returncode == 2, out.stderr[-2000:]
    errors = [ln for ln in out.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in out.stderr
    assert f"no data for 2 of the 2 requested sets (none in {tmp_path})" in errors[0]
    assert f"medqa_4opt: run `medfr data fetch -o {tmp_path}`" in errors[0]
    assert "no public copy: frbmedqa: request them from the study's authors" in errors[0]
