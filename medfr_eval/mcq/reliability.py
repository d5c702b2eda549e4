"""Reliability diagrams of MCQ letter probabilities, for the board (matplotlib, no torch).

Data: the per-item ``ece`` records that every MCQ task writes into its
sample log (``{"probs", "gold", "confidence", "correct"}``, see
:mod:`medfr_eval.metrics.calibration`). :func:`calibration_records` collects them
from sample-log entries; :func:`reliability_diagram` draws one curve per
model (accuracy against mean confidence per bin of 15 equal-width bins, the
bins that ECE uses) into a reproducible SVG.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from medfr_eval.metrics.calibration import N_BINS, ece, reliability_bins


def calibration_records(samples: Iterable[Mapping]) -> list[dict]:
    """The ``ece`` records of lm-eval sample-log entries (items without probabilities are skipped)."""
    return [dict(s["ece"]) for s in samples if isinstance(s.get("ece"), Mapping)]


def reliability_diagram(
    records_by_model: Mapping[str, Sequence[Mapping]],
    path: str | Path,
    title: str | None = None,
    n_bins: int = N_BINS,
) -> bool:
    """Draw accuracy vs confidence per bin, one line per model, to ``path`` (SVG).

    Returns False (and writes nothing) when no model has records. The file is
    written to a temporary name and renamed, so a reader never sees half a figure.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = {m: list(r) for m, r in records_by_model.items() if r}
    if not models:
        return False
    style = {"svg.hashsalt": "medfr-reliability", "svg.fonttype": "none", "font.size": 9}
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with plt.rc_context(style):
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        ax.plot(
            [0, 1],
            [0, 1],
            color="#9e9e9e",
            linestyle="--",
            linewidth=1,
            label="perfect calibration",
        )
        for model, records in models.items():
            bins = [b for b in reliability_bins(records, n_bins) if b["count"]]
            name = model.replace("$", r"\$")
            ax.plot(
                [b["confidence"] for b in bins],
                [b["accuracy"] for b in bins],
                marker="o",
                markersize=3,
                label=f"{name} (ECE {ece(records, n_bins):.3f})",
            )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("confidence (probability of the chosen letter)")
        ax.set_ylabel("accuracy")
        if title:
            ax.set_title(title)
        ax.legend(loc="upper left", fontsize=7, frameon=False)
        fig.savefig(tmp, format="svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(fig)
    tmp.replace(path)
    return True
