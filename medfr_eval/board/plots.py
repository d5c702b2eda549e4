"""The board's figures, drawn once at build time into SVG files.

SVG with text kept as text (small, searchable) and a fixed hash salt with no date in
the metadata: matplotlib otherwise writes random clip-path ids and the current time,
and two builds from the same inputs would differ.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from medfr_eval import strategies  # noqa: E402
from medfr_eval.sets import FAMILIES  # noqa: E402

STYLE = {
    "svg.hashsalt": "medfr-leaderboard",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
COLORS = {"win": "#2e7d32", "tie": "#9e9e9e", "loss": "#c62828"}
STRATEGY_COLORS = {s.key: s.colour for s in strategies.STRATEGIES}


def label(text: str, limit: int = 42) -> str:
    """A model name as plain text for matplotlib: no mathtext from '$', bounded length."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("$", r"\$")


def _save(fig, path: Path) -> None:
    fig.savefig(
        path,
        format="svg",
        bbox_inches="tight",
        metadata={"Date": None, "Creator": "medfr-leaderboard"},
    )
    plt.close(fig)


def _scale(fam: str) -> tuple[float, str]:
    return (1.0, "BERTScore F1") if fam == "openqa" else (100.0, "exactitude (%)")


def plot_families(rows: list[dict], path: Path) -> bool:
    """Family averages side by side, one panel per family (their scales differ)."""
    rows = [r for r in rows if r["families"]]
    if not rows:
        return False
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            1, len(FAMILIES), figsize=(11, 1.2 + 0.35 * len(rows)), sharey=True
        )
        ys = list(range(len(rows)))[::-1]
        for ax, (fam, title) in zip(axes, FAMILIES.items(), strict=True):
            factor, unit = _scale(fam)
            vals = [r["families"].get(fam) for r in rows]
            ax.barh(
                ys,
                [v * factor if v is not None else 0 for v in vals],
                color=[
                    STRATEGY_COLORS.get(r["strategy"], strategies.get("base").colour) for r in rows
                ],
            )
            ax.set_title(title)
            ax.set_xlabel(unit)
            ax.set_xlim(0, factor)
        axes[0].set_yticks(ys, [label(r["name"]) for r in rows])
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in STRATEGY_COLORS.values()]
        fig.legend(
            handles,
            list(STRATEGY_COLORS),
            loc="lower center",
            ncols=4,
            bbox_to_anchor=(0.5, -0.02),
            frameon=False,
        )
        fig.subplots_adjust(bottom=0.25 if len(rows) < 4 else 0.12)
        _save(fig, path)
    return True


def plot_win_tie_loss(rows: list[dict], path: Path) -> bool:
    """The study's figure 2a: each adapted model's win/tie/loss rates against its base."""
    bars = [(r, r["vs_base"]["rates"]["all"]) for r in rows if "all" in r["vs_base"]["rates"]]
    if not bars:
        return False
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 1.2 + 0.4 * len(bars)))
        ys = list(range(len(bars)))[::-1]
        left = [0.0] * len(bars)
        for kind, text in (("win", "victoire"), ("tie", "égalité"), ("loss", "défaite")):
            widths = [rates[kind] for _, rates in bars]
            ax.barh(ys, widths, left=left, color=COLORS[kind], label=text)
            left = [a + b for a, b in zip(left, widths, strict=True)]
        ax.set_yticks(ys, [label(f"{r['name']} vs {r['base_model']}", 60) for r, _ in bars])
        ax.set_xlim(0, 1)
        ax.set_xlabel("part des jeux de test (toutes familles)")
        ax.legend(loc="lower center", ncols=3, bbox_to_anchor=(0.5, 1.0), frameon=False)
        _save(fig, path)
    return True


def plot_compute(rows: list[dict], path: Path) -> bool:
    """Overall score against training GPU-hours (starting models sit at zero)."""
    points = []
    for r in rows:
        if r["overall"] is None:
            continue
        hours = (r["run_card"] or {}).get("gpu_hours")
        if isinstance(hours, int | float):
            points.append((float(hours), r))
        elif r["strategy"] == "base":
            points.append((0.0, r))
    if not any(h > 0 for h, _ in points):
        return False
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 5))
        for hours, r in points:
            ax.scatter(hours, r["overall"] * 100, color=STRATEGY_COLORS.get(r["strategy"]), s=30)
            ax.annotate(
                label(r["name"], 30),
                (hours, r["overall"] * 100),
                fontsize=7,
                xytext=(4, 3),
                textcoords="offset points",
            )
        handles = [plt.Line2D([], [], marker="o", ls="", color=c) for c in STRATEGY_COLORS.values()]
        ax.legend(handles, list(STRATEGY_COLORS), frameon=False)
        ax.set_xlabel("calcul d'entraînement (GPU-heures)")
        ax.set_ylabel("score global (0-100)")
        _save(fig, path)
    return True


def render_plots(rows: list[dict], folder: Path) -> dict[str, str | None]:
    """Draw every figure that has data; returns {figure id: file name, or None if no data}."""
    folder.mkdir(parents=True, exist_ok=True)
    made: dict[str, str | None] = {}
    for key, fn in (
        ("families", plot_families),
        ("win_tie_loss", plot_win_tie_loss),
        ("compute", plot_compute),
    ):
        name = f"{key}.svg"
        made[key] = name if fn(rows, folder / name) else None
    return made
