"""Which demo units are done: fingerprints and "done" markers under ``OUT/state``.

A marker records how a unit was run (command, environment, input file
digests, the markers of the steps above it). A unit is done when its marker's
fingerprint matches what the plan would run now and its outputs still check,
so changing a recipe or redoing a step upstream makes everything below it
stale, without comparing model weights.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from medfr_eval.core.errors import DemoError
from medfr_eval.core.fileio import sha256_file, write_json_atomic
from medfr_eval.demo.plan import Layout, Step, Unit

MARKER_VERSION = 1


def _upstream(plan: dict[str, Step], step: Step) -> list[str]:
    """Every step this one needs, directly or not."""
    seen: list[str] = []
    todo = list(step.needs)
    while todo:
        name = todo.pop(0)
        if name not in seen:
            seen.append(name)
            todo.extend(plan[name].needs)
    return sorted(seen)


def _upstream_digest(lay: Layout, plan: dict[str, Step], step: Step) -> str:
    """Digest of the markers of every step above this one.

    A marker records when its unit finished, so a step redone upstream
    (``--force``) changes this digest for every step below it.
    """
    h = hashlib.sha256()
    for name in _upstream(plan, step):
        for unit in plan[name].units:
            m = lay.marker(name, unit.name)
            h.update(m.read_bytes() if m.is_file() else b"missing")
    return h.hexdigest()


def fingerprint(lay: Layout, plan: dict[str, Step], step: Step, unit: Unit) -> str:
    """What a finished unit was made from: its command, env, input files, upstream steps."""
    from medfr_eval import __version__

    payload = {
        "version": MARKER_VERSION,
        "medfr": __version__,
        "argv": unit.argv,
        "env": unit.env,
        "inputs": {str(p): sha256_file(p) for p in unit.inputs if p.is_file()},
        "upstream": _upstream_digest(lay, plan, step),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def unit_done(lay: Layout, plan: dict[str, Step], step: Step, unit: Unit) -> bool:
    """Finished with the same fingerprint, and its outputs still there and parsing."""
    marker = lay.marker(step.name, unit.name)
    if not marker.is_file():
        return False
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    if data.get("fingerprint") != fingerprint(lay, plan, step, unit):
        return False
    try:
        unit.check()
    except DemoError:
        return False
    return True


def step_done(lay: Layout, plan: dict[str, Step], name: str) -> bool:
    """Every unit of the step is done."""
    step = plan[name]
    return all(unit_done(lay, plan, step, u) for u in step.units)


def write_marker(
    lay: Layout,
    plan: dict[str, Step],
    step: Step,
    unit: Unit,
    *,
    wall: float,
    fast: bool,
    log: Path,
    model_dir: str | None,
) -> dict[str, Any]:
    """Record a unit that just finished (atomically, so a crash never leaves half a marker)."""
    record: dict[str, Any] = {
        "step": step.name,
        "unit": unit.name,
        "argv": unit.argv,
        "fingerprint": fingerprint(lay, plan, step, unit),
        "wall_time_s": round(wall, 2),
        "finished_at": time.time(),
        "fast": fast,
        "log": str(log),
    }
    if unit.reports_model:
        record["model_dir"] = model_dir
    write_json_atomic(lay.marker(step.name, unit.name), record)
    return record
