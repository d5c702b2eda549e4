"""The comparison with the paper as a terminal table (80 columns), Markdown, CSV, JSON and a plot.

Scores are shown as the paper prints them: accuracy in percent with two decimals,
BERTScore F1 on 0-1 with three (the paper: two); differences in points. The files:
``compare.json`` (strict JSON, the board's input), ``compare.csv`` (one row per figure,
0-1 scale), ``compare.md``, ``compare.png`` / ``compare.svg`` (published figure against
ours with its interval, one panel per family). Names from input files are made safe
for each format (:mod:`medfr_eval.core.textsafe`).
"""

from __future__ import annotations

import csv
import io
import os
import textwrap
from pathlib import Path

from medfr_eval.core.errors import StudyError
from medfr_eval.core.fileio import dumps_strict, temp_beside, write_text_atomic
from medfr_eval.core.sets import FAMILIES
from medfr_eval.core.textsafe import csv_cell

from .compare import Comparison, Row

WIDTH = 80
FLAG_WORDS = {
    "reproduced": "reproduced",
    "above": "above",
    "below": "below",
    "missing": "no result",
}
OUTPUT_FILES: tuple[str, ...] = (
    "compare.json",
    "compare.csv",
    "compare.md",
    "compare.png",
    "compare.svg",
)


def shown(value: float | None, family: str) -> str:
    """A score as the paper prints it (accuracy %, BERTScore 0-1)."""
    if value is None:
        return "-"
    return f"{value:.3f}" if family == "openqa" else f"{value * 100:.2f}"


def interval(row: Row) -> str:
    if row.ci_low is None:
        return "-"
    return f"[{shown(row.ci_low, row.family)}, {shown(row.ci_high, row.family)}]"


def points(row: Row) -> str:
    return "-" if row.diff_points is None else f"{row.diff_points:+.2f}"


def _share(c: Comparison, model: str | None, family: str) -> str:
    s = next((x for x in c.shares if x["model"] == model and x["family"] == family), None)
    return f"{s['reproduced']}/{s['compared']}" if s else "-"


def _fold(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_on_hyphens=False) or [indent]  # fmt: skip


_HEAD = f"  {'set':<26} {'paper':>6} {'ours':>6} {'95% interval':>16} {'diff':>7}  flag"


def _row_line(r: Row) -> str:
    name = r.set if len(r.set) <= 26 else r.set[:25] + "~"
    return (f"  {name:<26} {r.paper_text:>6} {shown(r.ours, r.family):>6} {interval(r):>16} "
            f"{points(r):>7}  {FLAG_WORDS[r.flag]}")  # fmt: skip


def text_table(c: Comparison) -> str:
    """The terminal report: one block per model, every line within 80 columns."""
    lines = _fold(f"Paper: {c.paper['source']}")
    lines += _fold(f"Flag: {c.method['flag']}; diff in points (ours - paper).")
    models = list(dict.fromkeys(r.model for r in c.rows))
    for model in models:
        rows = [r for r in c.rows if r.model == model]
        fams = "  ".join(
            f"{FAMILIES[f]} {_share(c, model, f)}"
            for f in FAMILIES
            if any(r.family == f for r in rows)
        )
        lines += [
            "",
            *_fold(f"{model} ({rows[0].strategy}): reproduced {_share(c, model, 'all')}; {fams}"),
        ]
        lines.append(_HEAD)
        lines += [_row_line(r) for r in rows]
        for r in rows:
            if r.why_missing:
                lines += _fold(f"no result: {r.why_missing}", "    ")
                break
    lines += ["", *_fold(f"All models: reproduced {_share(c, None, 'all')} of the per-set figures; " +
                         "; ".join(f"{FAMILIES[f]} {_share(c, None, f)}" for f in FAMILIES))]  # fmt: skip
    if c.win_tie_loss:
        lines += ["", "Win / tie / loss over the sets (paper vs this run):"]
        for w in c.win_tie_loss:
            p = w["paper"]
            ours = w["ours"]
            got = (
                f"{ours['win']:.2f}/{ours['tie']:.2f}/{ours['loss']:.2f}"
                if ours
                else "not computed"
            )
            lines += _fold(f"{w['label']}: paper {p['win']:.2f}/{p['tie']:.2f}/{p['loss']:.2f}, "
                           f"ours {got}", "  ")  # fmt: skip
    lines += ["", "Data read per set (source, items / the study's size):"]
    for s in c.sources:
        mark = "" if s["same_size"] else "  <- not the study's size"
        lines += _fold(f"{s['set']}: {s['source']}, {s['items']}/{s['study_size']}{mark}", "  ")
    lines += [line for n in c.notes for line in _fold(f"note: {n}")]
    return "\n".join(lines) + "\n"


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(c: Comparison) -> str:
    """``compare.md``: the summary, every figure, the W/T/L rows and the data sources."""
    out = [f"# {_md(c.study.get('title') or c.study['name'])}: this run beside the paper", "",
           f"Paper: {_md(c.paper['source'])}.", "", f"{_md(c.method['flag'])}.", "",
           "| model | all | " + " | ".join(FAMILIES.values()) + " |", "|---|---|" + "---|" * len(FAMILIES)]  # fmt: skip
    for model in [*dict.fromkeys(r.model for r in c.rows), None]:
        cells = [_share(c, model, f) for f in ("all", *FAMILIES)]
        out.append(f"| {_md(model or 'all models')} | " + " | ".join(cells) + " |")
    out += [
        "",
        "| model | set | paper | ours | 95% interval | diff (points) | flag |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in c.rows:
        out.append(f"| {_md(r.model)} | {_md(r.set)} | {r.paper_text} | {shown(r.ours, r.family)} | "
                   f"{interval(r)} | {points(r)} | {FLAG_WORDS[r.flag]} |")  # fmt: skip
    if c.win_tie_loss:
        out += ["", "| comparison | paper W/T/L | ours W/T/L |", "|---|---|---|"]
        for w in c.win_tie_loss:
            p, o = w["paper"], w["ours"]
            got = f"{o['win']:.2f} / {o['tie']:.2f} / {o['loss']:.2f}" if o else "not computed"
            out.append(
                f"| {_md(w['label'])} | {p['win']:.2f} / {p['tie']:.2f} / {p['loss']:.2f} | {got} |"
            )
    out += ["", "| set | data source | items | study size |", "|---|---|---|---|"]
    for s in c.sources:
        out.append(f"| {s['set']} | {_md(s['source'])} | {s['items']} | {s['study_size']} |")
    out += [f"- {_md(n)}" for n in c.notes]
    return "\n".join(out) + "\n"


CSV_COLUMNS: tuple[str, ...] = ("model", "strategy", "group", "family", "set", "table", "metric",
    "paper_text", "paper", "paper_low", "paper_high", "ours", "ci_low", "ci_high", "n",
    "diff_points", "flag", "why_missing")  # fmt: skip


def to_csv(c: Comparison) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in c.rows:
        w.writerow(["" if (v := getattr(r, k)) is None else csv_cell(v) for k in CSV_COLUMNS])
    return buf.getvalue()


def plot(c: Comparison, out: Path) -> list[Path]:
    """Published figure (x) against ours (y) with our interval, one panel per family."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fams = [f for f in FAMILIES if any(r.family == f and r.ours is not None for r in c.rows)]
    fig, axes = plt.subplots(
        1, max(len(fams), 1), figsize=(4.2 * max(len(fams), 1), 4.2), squeeze=False
    )
    colours = {"reproduced": "#2a9d8f", "above": "#e76f51", "below": "#264653"}
    for ax, fam in zip(axes[0], fams, strict=False):
        scale = 1.0 if fam == "openqa" else 100.0
        rows = [r for r in c.rows if r.family == fam and r.ours is not None]
        for key, colour in colours.items():
            sub = [r for r in rows if r.flag == key]
            if sub:
                ys = [r.ours * scale for r in sub]
                err = [
                    [(r.ours - r.ci_low) * scale for r in sub],
                    [(r.ci_high - r.ours) * scale for r in sub],
                ]
                ax.errorbar([r.paper * scale for r in sub], ys, yerr=err, fmt="o", ms=4, color=colour,
                            ecolor=colour, alpha=0.8, label=f"{key} ({len(sub)})")  # fmt: skip
        top = max([r.paper * scale for r in rows] + [r.ci_high * scale for r in rows] + [1e-9])
        ax.plot([0, top], [0, top], color="grey", lw=0.8, ls="--")
        ax.set_title(FAMILIES[fam])
        ax.set_xlabel("paper" + (" (BERTScore F1)" if fam == "openqa" else " (accuracy %)"))
        ax.set_ylabel("this run (95% interval)")
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    written = []
    try:
        for ext in ("png", "svg"):
            path = out / f"compare.{ext}"
            tmp = temp_beside(path)
            try:
                meta = {"Date": None} if ext == "svg" else {"Software": None}
                fig.savefig(tmp, format=ext, dpi=120, metadata=meta)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
            written.append(path)
    finally:
        plt.close(fig)
    return written


def write_report(c: Comparison, out: Path) -> list[Path]:
    """Every output file of the comparison into ``out`` (each written atomically)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [
        write_text_atomic(out / "compare.json", dumps_strict(c.to_json(), indent=2, ensure_ascii=False) + "\n",
                          error=StudyError),
        write_text_atomic(out / "compare.csv", to_csv(c), error=StudyError),
        write_text_atomic(out / "compare.md", markdown(c), error=StudyError),
    ]  # fmt: skip
    return written + plot(c, out)
