"""The demo's view of lm-eval output folders, through the package's one reader.

Every file lm-eval writes is parsed by :mod:`medfr_eval.lmeval_output` (the
same code significance and the board use); this module only turns its typed
``DataError`` into the demo's ``DemoError`` (which names the step's log) and
reads the small JSON files the demo itself checks (model config, run card).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from medfr_eval import lmeval_output
from medfr_eval.core.errors import DataError, DemoError
from medfr_eval.core.sets import FAMILIES, SETS


def read_json(path: Path, what: str) -> Any:
    """A JSON object the demo needs; missing or unparsable is a :class:`DemoError` naming it."""
    if not path.is_file():
        raise DemoError(f"{what} missing", file=path)
    try:
        return lmeval_output.read_json_object(path, what)
    except DataError as e:
        raise DemoError(e.message, file=e.file, line=e.line, field=e.field) from None


def results_file(eval_dir: Path) -> Path:
    """The newest lm-eval ``results_*.json`` under one model's ``--output_path``."""
    found = sorted(eval_dir.rglob("results_*.json"), key=lambda p: p.name)
    if not found:
        raise DemoError(f"no lm-eval results_*.json under {eval_dir}")
    return found[-1]


def headline_scores(eval_dir: Path) -> dict[str, Any]:
    """``{"sets": set name -> headline metric, "families": family -> unweighted mean}``,
    for the study's sets and families present."""
    try:
        scores = lmeval_output.headline_scores(eval_dir)
    except DataError as e:
        raise DemoError(e.message, file=e.file, line=e.line, field=e.field) from None
    return {
        "sets": {s.name: scores.sets[s.name] for s in SETS if s.name in scores.sets},
        "families": {f: v for f, v in scores.families.items() if f in FAMILIES},
    }


def check_run(eval_dir: Path) -> None:
    """Every one of the study's sets has its headline score and a sample log that reads whole."""
    try:
        folders = lmeval_output.find_model_folders(eval_dir)
        if len(folders) != 1:
            raise DemoError(
                f"expected the results of one model, found {len(folders)}", file=eval_dir
            )
        run = lmeval_output.read_run(folders[0])
    except DataError as e:
        raise DemoError(e.message, file=e.file, line=e.line, field=e.field) from None
    for s in SETS:
        out = run.tasks.get(s.task)
        if out is None or out.score is None:
            raise DemoError(f"no {s.result_key!r} for {s.task}", file=eval_dir)
        if out.log is None:
            raise DemoError(f"no sample log for {s.task}", file=eval_dir)
