"""The demo's closing score table: family means from lm-eval's results, win rates from medfr signif.

Every number comes from the files the steps wrote (lm-eval results through
:mod:`medfr_eval.demo.results`, ``signif.json``); nothing is recomputed from
model outputs here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from medfr_eval.core import strategies
from medfr_eval.core.errors import DemoError
from medfr_eval.core.sets import FAMILIES
from medfr_eval.demo.plan import BASE, STRATEGY, Layout
from medfr_eval.demo.results import headline_scores, read_json, results_file
from medfr_eval.lmeval_output import display_name


def family_scores(eval_dir: Path) -> dict[str, Any]:
    """Per-set headline metric and unweighted family means, from one model's results.

    lm-eval's own group rows use the same unweighted mean (``weight_by_size:
    false``); :func:`medfr_eval.lmeval_output.family_means` recomputes them from
    the per-set rows so the table does not depend on how a group's metric key is
    spelled.
    """
    return headline_scores(eval_dir)


def _win_rates(signif_path: Path) -> dict[str, dict]:
    """Model name (as ``medfr signif`` names it) -> its win rate over all sets, from
    ``signif.json`` (if there)."""
    wins: dict[str, dict] = {}
    if signif_path.is_file():
        try:
            data = json.loads(signif_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return wins
        for w in data.get("win_rates", []):
            if w.get("family") == "all":
                wins[str(w.get("model_a", ""))] = w
    return wins


def summarize(lay: Layout) -> dict[str, Any]:
    """Scores of every evaluated demo model, and its win rate against the base if known."""
    models: list[dict[str, Any]] = []
    wins = _win_rates(lay.signif / "signif.json")
    for name, strategy in STRATEGY.items():
        edir = lay.eval_dir(name)
        if not edir.is_dir():
            continue
        try:
            path = results_file(edir)
        except DemoError:
            continue
        row = {"model": name, "strategy": strategy, "results": str(path)}
        row.update(family_scores(edir))
        # signif names a model by the one naming rule (its run card first): the chained
        # model is "tiny-cpt-sft", not its stage folder "sft"
        folder = lay.model_dir(name)
        card = folder / "run_card.json"
        shown = display_name(str(folder), read_json(card, "run card") if card.is_file() else None)
        if shown in wins and name != BASE:
            w = wins[shown]
            row["vs_base"] = {k: w.get(k) for k in ("win", "tie", "loss", "n_sets")}
        models.append(row)
    return {"out": str(lay.root), "models": models}


NOTES = (
    "MCQ: accuracy (%; FrMedMCQA: exact match). W/T/L: % of the 15 sets won, tied and lost "
    "against the base (medfr signif: paired bootstrap, Bonferroni).",
    "* Open QA: BERTScore F1 computed offline with a tiny random BERT "
    "(medfr_eval.demo.tiny.build_tiny_bert): these scores mean nothing medically, they only run the "
    "real scoring path. The demo's models have 2 layers and minutes of training on samples: "
    "their scores do not compare the study's strategies, they show the whole chain at work.",
)


def print_scores(console, summary: dict[str, Any]) -> None:
    """The table of family means per model, strategies in their shared colours."""
    from rich.table import Table

    console.print()
    table = Table(title="Demo scores (family means, from lm-eval's results files)")
    table.add_column("model", no_wrap=True)
    table.add_column("strategy", no_wrap=True)
    table.add_column(f"{FAMILIES['mcq_translated']} %", justify="right")
    table.add_column(f"{FAMILIES['mcq_native']} %", justify="right")
    table.add_column(f"{FAMILIES['openqa']} F1*", justify="right", min_width=10)
    table.add_column("vs base W/T/L %", justify="center")
    for row in summary["models"]:
        f = row["families"]
        vs = row.get("vs_base")
        colour = strategies.get(row["strategy"]).colour
        table.add_row(
            row["model"],
            f"[{colour}]{row['strategy']}[/]",
            f"{100 * f['mcq_translated']:.1f}" if "mcq_translated" in f else "–",
            f"{100 * f['mcq_native']:.1f}" if "mcq_native" in f else "–",
            f"{f['openqa']:.3f}" if "openqa" in f else "–",
            "/".join(f"{100 * vs[k]:.0f}" for k in ("win", "tie", "loss")) if vs else "–",
        )
    console.print(table)
    for note in NOTES:
        console.print(note, style="dim")
