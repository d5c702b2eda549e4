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

from medfr_eval.core.sets import FAMILIES, SETS  # noqa: E402

from . import labels  # noqa: E402

STYLE = {
    "svg.hashsalt": "medfr-leaderboard",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
COLORS = {"win": "#2e7d32", "tie": "#9e9e9e", "loss": "#c62828"}
STRATEGY_COLORS = labels.STRATEGY_COLOURS


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
    return (1.0, "BERTScore F1") if fam == "openqa" else (100.0, "accuracy (%)")


def chance_level(fam: str) -> float | None:
    """Score of uniform guessing, averaged over the family's sets; None for open questions.

    A restricted MCQ picks one of ``n_options`` letters (1/n); FrMedMCQA picks one
    of the 2^n - 1 non-empty letter sets (``medfr_eval.data.load.letter_sets``)."""
    if fam == "openqa":
        return None
    odds = [
        1 / (2**s.n_options - 1) if s.kind == "mcq_multi" else 1 / s.n_options
        for s in SETS
        if s.family == fam
    ]
    return sum(odds) / len(odds)


def _strategy_text(key: str) -> str:
    return "strategy not stated" if key == "unknown" else f"{key} ({labels.STRATEGIES[key]})"


def _legend(fig, rows: list[dict]) -> None:
    """Strategies present on the board, above the panels (never over the tick labels)."""
    present = [k for k in STRATEGY_COLORS if any(r["strategy"] == k for r in rows)]
    handles = [plt.Rectangle((0, 0), 1, 1, color=STRATEGY_COLORS[k]) for k in present]
    texts = [_strategy_text(k) for k in present]
    handles.append(plt.Line2D([], [], color="#333333", ls="--", lw=1))
    texts.append("chance level (MCQ)")
    fig.legend(handles, texts, loc="lower center", ncols=min(len(texts), 3),
               bbox_to_anchor=(0.5, 1.0), frameon=False)  # fmt: skip


def _family_panel(ax, fam: str, rows: list[dict], ys: list[int]) -> None:
    """One family's bars, 95% whiskers and chance line."""
    factor, unit = _scale(fam)
    vals = [r["families"].get(fam) for r in rows]
    colours = [STRATEGY_COLORS.get(r["strategy"], STRATEGY_COLORS["unknown"]) for r in rows]
    ax.barh(ys, [v * factor if v is not None else 0 for v in vals], color=colours)
    for y, v, r in zip(ys, vals, rows, strict=True):
        ci = (r.get("families_ci") or {}).get(fam)
        if v is not None and ci:
            err = [[(v - ci[0]) * factor], [(ci[1] - v) * factor]]
            ax.errorbar(v * factor, y, xerr=err, fmt="none", ecolor="#222222", elinewidth=1,
                        capsize=2)  # fmt: skip
    chance = chance_level(fam)
    if chance is not None:
        ax.axvline(chance * factor, color="#333333", ls="--", lw=1)
    ax.set_title(labels.FAMILIES[fam])
    ax.set_xlabel(unit)
    ax.set_xlim(0, factor)


def plot_families(rows: list[dict], path: Path) -> bool:
    """Family averages side by side, one panel per family (their scales differ)."""
    rows = [r for r in rows if r["families"]]
    if not rows:
        return False
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            1, len(FAMILIES), figsize=(11, 1.0 + 0.35 * len(rows)), sharey=True
        )
        ys = list(range(len(rows)))[::-1]
        for ax, fam in zip(axes, FAMILIES, strict=True):
            _family_panel(ax, fam, rows, ys)
        axes[0].set_yticks(ys, [label(r["name"]) for r in rows])
        fig.tight_layout()
        _legend(fig, rows)
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
        for kind in ("win", "tie", "loss"):
            widths = [rates[kind] for _, rates in bars]
            ax.barh(ys, widths, left=left, color=COLORS[kind], label=kind)
            left = [a + b for a, b in zip(left, widths, strict=True)]
        ax.set_yticks(ys, [label(f"{r['name']} vs {r['base_model']}", 60) for r, _ in bars])
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of test sets (all families)")
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
            ax.scatter(hours, r["overall"] * 100, color=STRATEGY_COLORS[r["strategy"]], s=30)
            ax.annotate(
                label(r["name"], 30),
                (hours, r["overall"] * 100),
                fontsize=7,
                xytext=(4, 3),
                textcoords="offset points",
            )
        present = [k for k in STRATEGY_COLORS if any(r["strategy"] == k for _, r in points)]
        handles = [plt.Line2D([], [], marker="o", ls="", color=STRATEGY_COLORS[k]) for k in present]
        ax.legend(handles, present, frameon=False)
        ax.set_xlabel("training compute (GPU-hours)")
        ax.set_ylabel("overall score (0-100)")
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
