"""``medfr-signif``'s output files: JSON (read by the board), CSV, Markdown and the plot.

The outputs land together or not at all: all are written into a fresh temporary
folder beside ``--out``, which is then swapped in whole (as the board build does),
under a lock so that two runs writing the same ``--out`` at once each leave one
complete, consistent set of files (the last to finish wins), never one run's JSON
beside the other's Markdown. A failure half-way leaves the previous outputs intact,
and the temporary folder is removed (SIGTERM included; after a ``kill -9`` it stays
beside ``--out``, which the next run ignores).
Text from input files is made safe on the way out (:mod:`medfr_eval.core.textsafe`):
CSV cells cannot run as formulas, Markdown cannot carry raw HTML.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from medfr_eval.cli import command_path
from medfr_eval.core.errors import SignifError
from medfr_eval.core.fileio import (
    current_umask,
    folder_lock,
    recover_swap,
    swap_in,
    term_as_interrupt,
)
from medfr_eval.core.sets import ALL_SETS
from medfr_eval.core.textsafe import csv_cell, markdown_text, plot_text

from .compare import Report
from .labels import DECISION_LABELS, FAMILY_LABELS, GAP_LABELS, set_title

OUTPUT_FILES: tuple[str, ...] = (
    "signif.json",
    "signif.csv",
    "signif.md",
    "signif_wtl.png",
    "signif_wtl.svg",
)


def _fmt(x: float, digits: int = 4) -> str:
    return f"{x:.{digits}f}"


def to_csv(report: Report) -> str:
    buf = io.StringIO()
    cols = [
        "pair_id", "model_a", "model_b", "task", "set", "family", "metric", "n", "n_clusters",
        "score_a", "score_b", "diff", "ci_low", "ci_high", "level", "test", "p_value",
        "p_adjusted", "decision", "bootstrap",
    ]  # fmt: skip
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for c in report.comparisons:
        row = c.to_json()
        row.update(pair_id=c.pair.id or "", n_clusters=c.n_clusters)
        w.writerow({k: csv_cell(row[k]) for k in cols})
    return buf.getvalue()


def _warnings_md(report: Report) -> list[str]:
    out = []
    if report.lenient:
        out.append("- **--lenient**: incomplete or mismatched logs were read anyway; "
                   "some items may have been dropped (see the warnings).")  # fmt: skip
    for w in report.warnings:
        out.append(f"- **Warning ({w['kind']})**: {_md(w['message'])}")
    return out


def to_markdown(report: Report) -> str:
    """The study's tables: win/tie/loss rates per family, every comparison, model scores."""
    out = ["# Significance of the differences (medfr signif)", ""]
    out += [f"- {_md(n)}" for n in report.notes]
    out += _warnings_md(report)
    fams = report.families()
    out += ["", "## Wins / ties / losses per family of sets", ""]
    out.append("| comparison | " + " | ".join(FAMILY_LABELS[f] + " (W/T/L)" for f in fams) + " |")
    out.append("|---|" + "---|" * len(fams))
    for pair in report.pairs:
        cells = []
        for f in fams:
            w = report.win_rate(pair, f)
            cells.append(
                f"{w['win']:.2f} / {w['tie']:.2f} / {w['loss']:.2f} ({w['n_sets']})" if w else "–"
            )
        out.append(f"| {_md(pair.title())} | " + " | ".join(cells) + " |")
    out += _table_head(
        "Every comparison",
        ["comparison", "set", "metric", "n", "A", "B", "A - B", "interval", "level", "test"]
        + ["p", "adjusted p", "decision", "bootstrap"],
        "lllrrrrlrlrrll",
    )
    for c in report.comparisons:
        r = c.result
        out.append(
            f"| {_md(c.pair.title())} | {set_title(c.task)} | {c.metric} | {c.n} | {_fmt(c.score_a)} | "
            f"{_fmt(c.score_b)} | {r.estimate:+.4f} | [{r.ci_low:+.4f}, {r.ci_high:+.4f}] | {r.level:.5f} | "
            f"{c.test} | {r.p_value:.4f} | {c.p_adjusted:.4f} | {DECISION_LABELS[r.decision]} | {c.to_json()['bootstrap']} |"
        )
    out += _families_md(report) + _gap_md(report) + _scores_md(report)
    return "\n".join(out) + "\n"


def _table_head(title: str, columns: list[str], align: str) -> list[str]:
    """A section title and the head of its Markdown table; ``align``: l or r per column."""
    rule = "".join("---:|" if a == "r" else "---|" for a in align)
    return ["", f"## {title}", "", "| " + " | ".join(columns) + " |", "|" + rule]


#: The last columns of every test table, filled by :func:`_verdict_cells`
#: from the keys of :meth:`BootstrapResult.verdict_json`.
_VERDICT_COLUMNS = ["interval", "level", "p", "adjusted p", "decision"]
_VERDICT_ALIGN = "lrrrl"


def _verdict_cells(v: dict, decisions: dict[str, str]) -> str:
    return (
        f"[{v['ci_low']:+.4f}, {v['ci_high']:+.4f}] | {v['level']:.5f} | {v['p_value']:.4f} | "
        f"{v['p_adjusted']:.4f} | {decisions[v['decision']]}"
    )


def _families_md(report: Report) -> list[str]:
    if not report.family_comparisons:
        return []
    out = _table_head(
        "Comparisons per family (mean over its sets, bootstrap within each set)",
        ["comparison", "family", "sets", "A - B", "test", *_VERDICT_COLUMNS],
        "llrrl" + _VERDICT_ALIGN,
    )
    for f in report.family_comparisons:
        title = _md(f"{f['model_a']} vs {f['model_b']}")
        out.append(
            f"| {title} | {FAMILY_LABELS[f['family']]} | {len(f['tasks'])} | {f['diff']:+.4f} | "
            f"{f['test']} | {_verdict_cells(f, DECISION_LABELS)} |"
        )
    return out


def _gap_md(report: Report) -> list[str]:
    if not report.translation_gap:
        return []
    out = _table_head(
        "Translation gap (French - English, same items)",
        ["model", "set", "n", "French", "English", "gap", "test", *_VERDICT_COLUMNS],
        "llrrrrl" + _VERDICT_ALIGN,
    )
    for g in report.translation_gap:
        out.append(
            f"| {_md(g['model'])} | {set_title(g['task'])} | {g['n']} | {_fmt(g['score_fr'])} | "
            f"{_fmt(g['score_en'])} | {g['gap']:+.4f} | {g['test']} | {_verdict_cells(g, GAP_LABELS)} |"
        )
    return out


def _scores_md(report: Report) -> list[str]:
    tasks = [s.task for s in ALL_SETS if any(x["task"] == s.task for x in report.scores)]
    out = ["", "## Model scores (95% percentile bootstrap interval)", ""]
    out.append("| model | " + " | ".join(set_title(t) for t in tasks) + " |")
    out.append("|---|" + "---|" * len(tasks))
    for model in report.models:
        cells = []
        for t in tasks:
            s = next((x for x in report.scores if x["model"] == model and x["task"] == t), None)
            cells.append(f"{s['score']:.3f} [{s['ci_low']:.3f}, {s['ci_high']:.3f}]" if s else "–")
        out.append(f"| {_md(model)} | " + " | ".join(cells) + " |")
    return out


def _md(text: str) -> str:
    return markdown_text(text)


_COLORS = {"win": "#2a9d8f", "tie": "#c8c8c8", "loss": "#e76f51"}


def plot_wtl(report: Report, family: str = "all"):
    """Stacked horizontal bars of win / tie / loss shares per comparison (figure 2a)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    rows = []
    for pair in report.pairs:
        w = report.win_rate(pair, family)
        if w:
            rows.append((plot_text(pair.title()), w))
    fig = Figure(figsize=(10, 0.45 * max(len(rows), 2) + 1.4))
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    left = np.zeros(len(rows))
    for key in ("win", "tie", "loss"):
        vals = np.array([w[key] for _, w in rows])
        ax.barh(
            y, vals, left=left, color=_COLORS[key], label=DECISION_LABELS[key], edgecolor="white"
        )
        for yi, li, v in zip(y, left, vals, strict=True):
            if v >= 0.08:
                ax.text(li + v / 2, yi, f"{v:.0%}", ha="center", va="center", fontsize=8)
        left += vals
    ax.set_yticks(y, [t for t, _ in rows], fontsize=8)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"Share of sets: {FAMILY_LABELS[family]}")
    m = report.method
    ax.set_title(
        f"Wins / ties / losses (m = {m['m']}, correction: {m['correction']})",
        fontsize=10,
    )
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def _check_out(out: Path) -> None:
    """``--out`` is replaced whole: refuse a folder that holds anything but our outputs."""
    if not out.exists():
        return
    if not out.is_dir():
        raise SignifError("output path exists and is not a folder", file=out, field="--out")
    others = sorted(p.name for p in out.iterdir() if p.name not in OUTPUT_FILES)
    if others:
        raise SignifError(
            f"output folder holds other files ({', '.join(others[:3])}); {command_path('signif')} "
            "replaces its folder whole: choose an empty folder or one it wrote",
            file=out,
            field="--out",
        )


def _swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` by ``tmp`` under the lock, after repairing a killed run's swap."""
    with folder_lock(out):
        recover_swap(out)
        _check_out(out)
        swap_in(tmp, out)


def write_outputs(report: Report, out_dir: str | Path) -> list[Path]:
    """Write JSON, CSV, Markdown, PNG and SVG into a fresh folder, then swap it in whole."""
    out = Path(out_dir)
    _check_out(out)
    payload = {
        "signif.json": json.dumps(report.to_json(), indent=2, ensure_ascii=False, allow_nan=False)
        + "\n",
        "signif.csv": to_csv(report),
        "signif.md": to_markdown(report),
    }
    fig = plot_wtl(report)
    tmp: Path | None = None
    try:
        # SIGTERM (a job scheduler's kill) as Ctrl-C, so that the finally below runs
        with term_as_interrupt():
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
            os.chmod(tmp, 0o777 & ~current_umask())
            for name in OUTPUT_FILES:
                if name in payload:
                    (tmp / name).write_text(payload[name], encoding="utf-8")
                else:
                    _save_plot(fig, tmp / name, name)
            _swap_in(tmp, out)
    except OSError as e:
        raise SignifError(
            f"cannot write the outputs: {e.strerror or e}", file=out, field="--out"
        ) from None
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return [out / n for n in OUTPUT_FILES]


def _save_plot(fig, path: Path, name: str) -> None:
    """PNG or SVG; the SVG is byte-stable across runs: no creation date, and a fixed
    salt for the clip-path ids matplotlib otherwise draws at random per process."""
    import matplotlib

    svg = name.endswith(".svg")
    with matplotlib.rc_context({"svg.hashsalt": "medfr-signif"} if svg else {}):
        fig.savefig(
            path,
            format=name.rsplit(".", 1)[1],
            dpi=150,
            bbox_inches="tight",
            metadata={"Date": None} if svg else {},
        )
