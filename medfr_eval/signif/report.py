"""``medfr-signif``'s output files: JSON (read by the board), CSV, Markdown and the plot.

Every file lands whole or not at all (written to a temporary name, then renamed).
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np

from medfr_eval.errors import SignifError
from medfr_eval.sets import BY_TASK, SETS

from .compare import FAMILY_LABELS, Report

OUTPUT_FILES: tuple[str, ...] = (
    "signif.json",
    "signif.csv",
    "signif.md",
    "signif_wtl.png",
    "signif_wtl.svg",
)
DECISION_FR = {"win": "victoire", "tie": "égalité", "loss": "défaite"}


def _fmt(x: float, digits: int = 4) -> str:
    return f"{x:.{digits}f}"


def to_csv(report: Report) -> str:
    buf = io.StringIO()
    cols = [
        "pair_id", "model_a", "model_b", "task", "set", "family", "metric", "n", "n_clusters",
        "score_a", "score_b", "diff", "ci_low", "ci_high", "level", "p_value", "decision", "bootstrap",
    ]  # fmt: skip
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for c in report.comparisons:
        row = c.to_json()
        row.update(pair_id=c.pair.id or "", n_clusters=c.n_clusters)
        w.writerow({k: row[k] for k in cols})
    return buf.getvalue()


def to_markdown(report: Report) -> str:
    """The study's tables: win/tie/loss rates per family, every comparison, model scores."""
    out = ["# Significativité des écarts (medfr-signif)", ""]
    out += [f"- {n}" for n in report.notes]
    for w in report.warnings:
        out.append(f"- **Avertissement** : {w}")
    fams = report.families()
    out += ["", "## Victoires / égalités / défaites par famille de jeux", ""]
    out.append("| comparaison | " + " | ".join(FAMILY_LABELS[f] + " (V/E/D)" for f in fams) + " |")
    out.append("|---|" + "---|" * len(fams))
    for pair in report.pairs:
        cells = []
        for f in fams:
            w = report.win_rate(pair, f)
            cells.append(
                f"{w['win']:.2f} / {w['tie']:.2f} / {w['loss']:.2f} ({w['n_sets']})" if w else "–"
            )
        out.append(f"| {_md(pair.title())} | " + " | ".join(cells) + " |")
    out += ["", "## Détail des comparaisons", ""]
    out.append(
        "| comparaison | jeu | métrique | n | A | B | A - B | intervalle | niveau | p | décision | bootstrap |"
    )
    out.append("|---|---|---|---:|---:|---:|---:|---|---:|---:|---|---|")
    for c in report.comparisons:
        r = c.result
        out.append(
            f"| {_md(c.pair.title())} | {BY_TASK[c.task].title} | {c.metric} | {c.n} | {_fmt(c.score_a)} | "
            f"{_fmt(c.score_b)} | {r.estimate:+.4f} | [{r.ci_low:+.4f}, {r.ci_high:+.4f}] | {r.level:.5f} | "
            f"{r.p_value:.4f} | {DECISION_FR[r.decision]} | {c.to_json()['bootstrap']} |"
        )
    tasks = [s.task for s in SETS if any(x["task"] == s.task for x in report.scores)]
    out += ["", "## Scores des modèles (intervalle bootstrap percentile à 95 %)", ""]
    out.append("| modèle | " + " | ".join(BY_TASK[t].title for t in tasks) + " |")
    out.append("|---|" + "---|" * len(tasks))
    for model in report.models:
        cells = []
        for t in tasks:
            s = next((x for x in report.scores if x["model"] == model and x["task"] == t), None)
            cells.append(f"{s['score']:.3f} [{s['ci_low']:.3f}, {s['ci_high']:.3f}]" if s else "–")
        out.append(f"| {_md(model)} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


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
            rows.append((pair.title(), w))
    fig = Figure(figsize=(10, 0.45 * max(len(rows), 2) + 1.4))
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    left = np.zeros(len(rows))
    for key in ("win", "tie", "loss"):
        vals = np.array([w[key] for _, w in rows])
        ax.barh(y, vals, left=left, color=_COLORS[key], label=DECISION_FR[key], edgecolor="white")
        for yi, li, v in zip(y, left, vals, strict=True):
            if v >= 0.08:
                ax.text(li + v / 2, yi, f"{v:.0%}", ha="center", va="center", fontsize=8)
        left += vals
    ax.set_yticks(y, [t for t, _ in rows], fontsize=8)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"part des jeux ({FAMILY_LABELS[family].lower()})")
    m = report.method
    ax.set_title(
        f"Victoires / égalités / défaites (m = {m['m']}, correction : {m['correction']})",
        fontsize=10,
    )
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def write_outputs(report: Report, out_dir: str | Path) -> list[Path]:
    """Write JSON, CSV, Markdown, PNG and SVG; every file lands whole or not at all."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SignifError(f"cannot create the output folder: {e.strerror}", file=out) from None
    payload = {
        "signif.json": json.dumps(report.to_json(), indent=2, ensure_ascii=False, allow_nan=False)
        + "\n",
        "signif.csv": to_csv(report),
        "signif.md": to_markdown(report),
    }
    fig = plot_wtl(report)
    tmps: list[tuple[Path, Path]] = []
    try:
        for name in OUTPUT_FILES:
            final = out / name
            tmp = out / f".{name}.tmp"
            if name in payload:
                tmp.write_text(payload[name], encoding="utf-8")
            else:
                _save_plot(fig, tmp, name)
            tmps.append((tmp, final))
        for tmp, final in tmps:
            os.replace(tmp, final)
    finally:
        for tmp, _ in tmps:
            if tmp.exists():
                tmp.unlink()
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
