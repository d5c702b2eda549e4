"""The board's "Paper" page: a study run's scores beside the paper's own tables.

Its input is the ``compare.json`` of ``medfr study compare`` (:mod:`medfr_eval.study.compare`):
per model x set the published figure, ours, our 95 % interval and the flag, the shares
reproduced, the win / tie / loss rows and the data each set was read from. The file is
read here as plain JSON (no torch, no lm-eval) and its shape checked before any page is
written; text from it is escaped by the templates, and local paths in data sources are
cut to their last part (:func:`.publish.cut_paths`) like every value the site shows.
"""

from __future__ import annotations

from pathlib import Path

from medfr_eval.core.errors import DataError
from medfr_eval.lmeval_output import read_json_object

from .publish import cut_paths, strip_bidi

PAGE = "paper.html"
_ROW_KEYS = {"model": str, "family": str, "set": str, "paper_text": str, "flag": str}
FLAGS = ("reproduced", "above", "below", "missing")


def _check_rows(data: dict, path: Path) -> None:
    rows = data.get("rows")
    if not isinstance(rows, list):
        raise DataError("expected a list", file=path, field="rows")
    for i, row in enumerate(rows):
        for key, kind in _ROW_KEYS.items():
            if not isinstance(row, dict) or not isinstance(row.get(key), kind):
                raise DataError(f"expected {kind.__name__}", file=path, field=f"rows[{i}].{key}")
        if row["flag"] not in FLAGS:
            raise DataError(
                f"expected one of {', '.join(FLAGS)}", file=path, field=f"rows[{i}].flag"
            )
        for key in ("ours", "ci_low", "ci_high", "diff_points"):
            if row.get(key) is not None and not isinstance(row[key], int | float):
                raise DataError("expected a number or null", file=path, field=f"rows[{i}].{key}")


def read_paper_comparison(path: str | Path) -> dict:
    """``compare.json``, shape-checked, with paths in its free text cut for publication."""
    path = Path(path)
    data = read_json_object(path, "study comparison")
    if data.get("medfr_study_compare") != 1:
        raise DataError("not a medfr study comparison (medfr_study_compare: 1)", file=path)
    _check_rows(data, path)
    for key in ("shares", "win_tie_loss", "sources", "notes"):
        if not isinstance(data.get(key, []), list):
            raise DataError("expected a list", file=path, field=key)
    for s in data.get("sources", []):
        if isinstance(s, dict) and isinstance(s.get("source"), str):
            s["source"] = cut_paths(s["source"])
    data["notes"] = [cut_paths(str(n)) for n in data.get("notes", [])]
    paper = data.get("paper") if isinstance(data.get("paper"), dict) else {}
    data["paper"] = {"source": strip_bidi(str(paper.get("source", ""))),
                     "figures": paper.get("figures")}  # fmt: skip
    return data


def render_paper_page(env, data: dict, out: Path, common: dict) -> None:
    """Write ``paper.html`` into the site folder ``out``."""
    models = list(dict.fromkeys(r["model"] for r in data["rows"]))
    shares = {
        (s.get("model"), s.get("family")): s for s in data.get("shares", []) if isinstance(s, dict)
    }
    html = env.get_template(PAGE).render(root="", page="paper", cmp=data, models=models,
                                         shares=shares, **common)  # fmt: skip
    (out / PAGE).write_text(html, encoding="utf-8", newline="\n")
