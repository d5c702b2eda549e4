"""The demo's only reader of lm-eval output folders: results file, headline metrics, sample logs.

Kept to these three small functions so that they can be switched, in one
place, to the package's shared reader of lm-eval output
(:mod:`medfr_eval.lmeval_output`) once it lands; the checks and the score
table never open lm-eval's files themselves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from medfr_eval.errors import DemoError
from medfr_eval.sets import SETS


def read_json(path: Path, what: str) -> Any:
    """A JSON file the demo needs; missing or unparsable is a :class:`DemoError` naming it."""
    if not path.is_file():
        raise DemoError(f"{what} missing", file=path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DemoError(f"{what} does not parse: {e}", file=path) from None


def results_file(eval_dir: Path) -> Path:
    """The newest lm-eval ``results_*.json`` under one model's ``--output_path``."""
    found = sorted(eval_dir.rglob("results_*.json"), key=lambda p: p.name)
    if not found:
        raise DemoError(f"no lm-eval results_*.json under {eval_dir}")
    return found[-1]


def headline_scores(results_path: Path) -> dict[str, float]:
    """Set name -> the set's headline metric (``EvalSet.result_key``), for the sets present."""
    results = read_json(results_path, "lm-eval results").get("results") or {}
    scores: dict[str, float] = {}
    for s in SETS:
        value = (results.get(s.task) or {}).get(s.result_key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            scores[s.name] = float(value)
    return scores


def check_sample_log(results_path: Path, task: str) -> None:
    """A ``samples_<task>_*.jsonl`` beside the results file, every line parsing as JSON."""
    logs = sorted(results_path.parent.glob(f"samples_{task}_*.jsonl"))
    if not logs:
        raise DemoError(f"no sample log for {task} in {results_path.parent}")
    for line_no, line in enumerate(logs[-1].read_text(encoding="utf-8").splitlines(), 1):
        try:
            json.loads(line)
        except json.JSONDecodeError as e:
            raise DemoError(
                f"sample log does not parse: {e}", file=logs[-1], line=line_no
            ) from None
