"""Rows -> HTML pages, CSV and JSON, with every string from input files escaped.

Jinja2 autoescaping covers the HTML; the data embedded for the script is JSON with
``<``, ``>`` and ``&`` written as ``\\u`` escapes so that no input can close the
``<script>`` element it sits in. CSV cells that a spreadsheet would run as a formula
get a leading quote.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from medfr_eval import strategies
from medfr_eval.resources import leaderboard_dir
from medfr_eval.sets import FAMILIES, SETS
from medfr_eval.sources import SOURCES
from medfr_eval.textsafe import csv_cell

METRICS = {
    "acc": "exactitude (accuracy) : part des items où la lettre produite est la bonne",
    "emr": "EMR (exact match ratio) : part des items où l'ensemble des lettres est exactement le bon",
    "bertscore_f1": "BERTScore F1 entre la réponse produite et la réponse de référence",
}
#: French label per strategy key, in the table's order (the site is in French).
STRATEGY_LABELS = {s.key: s.label_fr for s in strategies.STRATEGIES}


def fmt_score(value: float | None, family: str) -> str:
    """MCQ as percentages with two decimals, BERTScore on 0-1 with three, as in the study."""
    if value is None:
        return "—"
    return f"{value:.3f}" if family == "openqa" else f"{value * 100:.2f}"


def fmt_overall(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}"


def safe_json(data: object) -> Markup:
    """JSON that can sit inside a <script> element whatever strings it carries."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(leaderboard_dir() / "templates")),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(score=fmt_score, overall=fmt_overall, safe_json=safe_json)
    env.globals.update(
        FAMILIES=FAMILIES, SETS=SETS, STRATEGY_LABELS=STRATEGY_LABELS, METRICS=METRICS
    )
    return env


def public_data(rows: list[dict]) -> dict:
    """The JSON download (and the page's embedded data): everything the table shows."""
    return {
        "medfr_leaderboard_version": 1,
        "families": FAMILIES,
        "sets": [
            {
                "name": s.name,
                "task": s.task,
                "title": s.title,
                "family": s.family,
                "metric": s.metric,
            }
            for s in SETS
        ],
        "models": rows,
    }


# The one CSV formula guard, shared with medfr-signif's CSV.
_cell = csv_cell


def table_csv(rows: list[dict]) -> str:
    """The whole table, one line per model, scores on a 0-1 scale."""
    header = [
        "rank",
        "name",
        "model_name",
        "strategy",
        "base_model",
        "overall",
        *[f"avg_{f}" for f in FAMILIES],
    ]
    for s in SETS:
        header += [s.name, f"{s.name}_ci_low", f"{s.name}_ci_high"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        line = [
            r["rank"],
            r["name"],
            r["model_name"],
            r["strategy"],
            r["base_model"] or "",
            r["overall"],
            *[r["families"].get(f) for f in FAMILIES],
        ]
        for s in SETS:
            sc = r["scores"].get(s.name) or {}
            line += [sc.get("score"), sc.get("ci_low"), sc.get("ci_high")]
        writer.writerow(["" if v is None else _cell(v) for v in line])
    return buf.getvalue()


def render_site(
    rows: list[dict], reference: dict, plots: dict[str, str], out: Path, build_info: dict
) -> None:
    """Write every page and data file of the site into ``out`` (an empty folder)."""
    env = environment()
    data = public_data(rows)
    common = {"plots": plots, "info": build_info}

    def write(rel: str, text: str) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")

    write(
        "index.html",
        env.get_template("index.html").render(
            root="", rows=rows, data=data, page="index", **common
        ),
    )
    for r in rows:
        write(
            f"models/{r['slug']}.html",
            env.get_template("model.html").render(root="../", row=r, page="model", **common),
        )
    ref_tasks = reference.get("tasks", {})
    for s in SETS:
        ranked = sorted(
            (r for r in rows if s.name in r["scores"]),
            key=lambda r: (-r["scores"][s.name]["score"], r["name"]),
        )
        write(
            f"tasks/{s.name}.html",
            env.get_template("task.html").render(
                root="../",
                spec=s,
                ref=ref_tasks.get(s.task),
                ranked=ranked,
                page="task",
                source=SOURCES[s.name].origin,
                **common,
            ),
        )
    write(
        "data/leaderboard.json",
        json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1) + "\n",
    )
    write("data/leaderboard.csv", table_csv(rows))
    static = leaderboard_dir() / "static"
    for name in ("style.css", "board.js"):
        write(f"static/{name}", (static / name).read_text(encoding="utf-8"))
