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
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from medfr_eval.core.resources import leaderboard_dir
from medfr_eval.core.sets import FAMILIES, SETS
from medfr_eval.core.textsafe import csv_cell, strip_bidi

from . import labels

SETS_BY_NAME = {s.name: s for s in SETS}


def fmt_score(value: float | None, family: str) -> str:
    """MCQ as percentages with two decimals, BERTScore on 0-1 with three, as in the study."""
    if value is None:
        return "—"
    return f"{value:.3f}" if family == "openqa" else f"{value * 100:.2f}"


def fmt_overall(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}"


def fmt_number(value: float) -> str:
    """A measured quantity for people: thousands separated, about four significant digits."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return f"{value:.4g}"


def fmt_duration(seconds: float) -> str:
    """Seconds as "2 h 05 min", "3 min 12 s" or "45.2 s"."""
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    if seconds >= 60:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{seconds:.1f} s"


def fmt_value(value: object) -> str:
    """Any run card or recipe value as text: no Python reprs (None, True, dicts) on a page."""
    if value is None:
        return "—"
    if isinstance(value, bool | int | float):
        return fmt_number(value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {fmt_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(fmt_value(v) for v in value) or "—"
    return str(value)


def config_rows(value: object, prefix: str = "") -> list[tuple[str, str]]:
    """A nested recipe as (dotted setting, formatted value) rows, for a two-column table."""
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for k, v in value.items():
            rows += config_rows(v, f"{prefix}.{k}" if prefix else str(k))
        return rows
    return [(prefix or "value", fmt_value(value))]


def unmeasured(key: str, value: object, card: dict | None) -> bool:
    """Whether a footprint figure (energy, emissions, cost) was not measured.

    ``medfr train`` records 0 kWh for a CPU run and ``None`` where it cannot estimate,
    with ``energy_method`` saying why ("none: ...", "unknown: ..."); "0 kWh" on a page
    would read as a measured zero."""
    if key not in labels.FOOTPRINT_FIELDS:
        return False
    if value is None:
        return True
    method = str((card or {}).get("energy_method") or "")
    nothing = not method or method.startswith(("none", "unknown")) or "no Table 8 rate" in method
    return value == 0 and nothing


def fmt_card(key: str, value: object, card: dict | None = None) -> str:
    """One run card field, in the unit its label names ("not measured" where it was not)."""
    if unmeasured(key, value, card):
        return labels.NOT_MEASURED
    if key == "wall_time_s" and isinstance(value, int | float):
        return fmt_duration(float(value))
    return fmt_value(value)


def fmt_p(value: float | None) -> str:
    """A p-value with three decimals, "< 0.001" below; "—" when the file gives none."""
    if value is None:
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def shown_columns(rows: list[dict]) -> tuple[list[str], list[str]]:
    """The families and sets some row has a score for: a column no run has is not drawn."""
    sets = [s.name for s in SETS if any(s.name in r["scores"] for r in rows)]
    fams = [f for f in labels.FAMILIES if any(f in r["families"] for r in rows)
            or any(SETS_BY_NAME[n].family == f for n in sets)]  # fmt: skip
    return fams, sets


def breakable(text: str) -> Markup:
    """A name that may wrap after ``/``, ``-``, ``_`` or ``.`` but never mid-word.

    Escaped first; the ``<wbr>`` break opportunities are the only markup added."""
    escaped = str(escape(text))
    return Markup(re.sub(r"([/_.-])", r"\1<wbr>", escaped))


def camel_breaks(text: str) -> Markup:
    """A set abbreviation that may wrap between its parts ("Pub|Med|QA"), never mid-part:
    narrow columns keep the main table within 1,400 px."""
    escaped = str(escape(text))
    return Markup(re.sub(r"(?<=[a-z.])(?=[A-Z])", "<wbr>", escaped))


def safe_json(data: object) -> Markup:
    """JSON that can sit inside a <script> element whatever strings it carries."""
    text = json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
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
    env.filters.update(
        score=fmt_score,
        overall=fmt_overall,
        safe_json=safe_json,
        value=fmt_value,
        card_field=fmt_card,
        breakable=breakable,
        camel_breaks=camel_breaks,
        config_rows=config_rows,
        metric=labels.metric_label,
        pvalue=fmt_p,
    )
    env.globals.update(
        FAMILIES=labels.FAMILIES,
        SETS=SETS,
        SET_TITLES={k: v[0] for k, v in labels.SETS.items()},
        SET_HELP={k: v[1] for k, v in labels.SETS.items()},
        SET_SHORT=labels.SHORT,
        OVERALL_DEFINITION=labels.OVERALL_DEFINITION,
        STRATEGY_LABELS=labels.STRATEGIES,
        CARD_FIELDS=labels.CARD_FIELDS,
        METRIC_HELP=labels.METRIC_HELP,
        family_label=labels.family_label,
    )
    return env


def public_data(rows: list[dict], origin: dict | None = None) -> dict:
    """The JSON download (and the page's embedded data): everything the table shows."""
    return {
        "medfr_leaderboard_version": 1,
        "data": origin,
        "overall_definition": labels.OVERALL_DEFINITION,
        "families": labels.FAMILIES,
        "sets": [
            {
                "name": s.name,
                "task": s.task,
                "title": labels.set_title(s.name),
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
        "rank_ci",
        "name",
        "model_name",
        "strategy",
        "base_model",
        "data",
        "overall",
        "overall_ci_low",
        "overall_ci_high",
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
            r["rank_ci"],
            r["name"],
            r["model_name"],
            r["strategy"],
            r["base_model"] or "",
            r["data"],
            r["overall"],
            *(r["overall_ci"] or [None, None]),
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
    data = public_data(rows, build_info.get("origin"))
    families, sets = shown_columns(rows)
    common = {"plots": plots, "info": build_info, "shown_families": families,
              "shown_sets": sets}  # fmt: skip

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
    # The prompt is sample text: escaped by the template, and without bidi controls.
    ref_tasks = {t: {**r, "prompt_example": strip_bidi(r["prompt_example"])}
                 if isinstance(r, dict) and isinstance(r.get("prompt_example"), str) else r
                 for t, r in reference.get("tasks", {}).items()}  # fmt: skip
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
                **common,
            ),
        )
    write(
        "data/leaderboard.json",
        json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1, allow_nan=False) + "\n",
    )
    write("data/leaderboard.csv", table_csv(rows))
    static = leaderboard_dir() / "static"
    for name in ("style.css", "board.js"):
        write(f"static/{name}", (static / name).read_text(encoding="utf-8"))
