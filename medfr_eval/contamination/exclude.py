"""Leave the contaminated items out of an lm-eval run: the clean-subset score.

``lm_eval ... --metadata '{"medfr_exclude": "contaminated.json"}'`` reaches
:func:`medfr_eval.data.load.load_set`, which calls :func:`exclude_records`. lm-eval
keeps ``--metadata`` in each task's config of the results file, so the run says
which report it excluded; the sample count says how many items were left.
"""

from __future__ import annotations

import json
from pathlib import Path

from medfr_eval.cli import command_path
from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import EvalSet


def read_exclusions(path: str | Path) -> dict[str, set[str]]:
    """Set name -> contaminated ids, from a ``medfr-data contamination`` report."""
    path = Path(path).expanduser()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("file not found (medfr_exclude)", file=path) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON: {exc.msg}", file=path, line=exc.lineno) from None
    if not isinstance(data, dict) or "medfr_contamination_version" not in data:
        raise DataError(
            f"not a contamination report (written by `{command_path('data', 'contamination')}`)",
            file=path,
            field="medfr_contamination_version",
        )
    sets = data.get("sets")
    if not isinstance(sets, dict):
        raise DataError("expected an object of sets", file=path, field="sets")
    out: dict[str, set[str]] = {}
    for name, entry in sets.items():
        ids = entry.get("ids") if isinstance(entry, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise DataError("expected a list of ids", file=path, field=f"sets.{name}.ids")
        out[name] = set(ids)
    return out


def exclude_records(es: EvalSet, records: list[dict], path: str | Path) -> list[dict]:
    """``records`` without the ids that the report lists for this set.

    An id the report lists but the data lacks means the report was made on
    other data: refused, rather than a silently different clean subset."""
    excluded = read_exclusions(path).get(es.name, set())
    if not excluded:
        return records
    present = {rec["id"] for rec in records}
    unknown = sorted(excluded - present)
    if unknown:
        raise DataError(
            f"{len(unknown)} listed id(s) are not in the data of this run (e.g. {unknown[0]!r}): "
            "the report was made on other data",
            file=path,
            field=f"sets.{es.name}.ids",
        )
    kept = [rec for rec in records if rec["id"] not in excluded]
    if not kept:
        raise DataError(
            f"every item of {es.name!r} is listed as contaminated: no clean subset to score",
            file=path,
            field=f"sets.{es.name}.ids",
        )
    return kept
