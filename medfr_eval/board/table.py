"""From accepted runs to the board's rows: scores, intervals, averages, wins against the base.

Every number a visitor sees is computed here, once, into plain dicts that the HTML,
the CSV, the JSON download and the plots all read, so they cannot disagree.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from tqdm import tqdm

from medfr_eval import strategies
from medfr_eval.lmeval_output import family_means
from medfr_eval.sets import BY_TASK, FAMILIES, SETS
from medfr_eval.signif.bootstrap import bootstrap_distribution

from .collect import Entry, Run

BOOTSTRAP_RESAMPLES = 10_000  # as in the study
CARD_FIELDS = (
    "tokens_seen",
    "gpu_hours",
    "hardware",
    "energy_kwh",
    "kgco2e",
    "cost_usd",
    "wall_time_s",
    "carbon_intensity_kg_per_kwh",
    "price_per_gpu_hour",
)


def slugify(name: str) -> str:
    """A file-safe, collision-proof page name: readable part plus a short hash of the name."""
    readable = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48] or "model"
    return f"{readable}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def bootstrap_ci(
    values: list[float], clusters: list[str] | None = None, resamples: int = BOOTSTRAP_RESAMPLES
) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of a score, when no medfr-signif JSON gives one.

    Same code and seed as medfr-signif (``medfr_eval.signif.bootstrap``, numpy only), so the two
    agree; the fixed seed keeps rebuilt pages byte-identical.
    """
    dist = bootstrap_distribution(values, resamples=resamples, seed=0, clusters=clusters)
    return dist.interval(0.95)


@dataclass
class Model:
    """What the board knows about one model before rows are built."""

    run: Run
    entry: Entry | None

    @property
    def name(self) -> str:
        if self.entry and self.entry.name:
            return self.entry.name
        return self.run.display_name  # the one naming rule, shared with medfr-signif

    @property
    def aliases(self) -> set[str]:
        """Names under which other files (signif JSON, base_model fields) may cite this model."""
        names = {self.name, self.run.display_name, self.run.model_name, self.run.folder.name}
        card = self.run.run_card or {}
        if isinstance(card.get("model_name"), str):
            names.add(card["model_name"])
        names.add(self.run.model_name.rstrip("/").rsplit("/", 1)[-1])
        return {n for n in names if n}

    @property
    def base_model(self) -> str | None:
        if self.entry and self.entry.base_model:
            return self.entry.base_model
        base = (self.run.run_card or {}).get("base_model")
        return base if isinstance(base, str) and base else None

    @property
    def strategy(self) -> str:
        if self.entry and self.entry.strategy:
            return self.entry.strategy
        strategy = (self.run.run_card or {}).get("strategy")
        # A model with neither entry nor run card is a starting model as far as we know.
        return strategy if strategy in strategies.TRAINED else "base"


def _signif_ci(signif: dict | None, aliases: set[str], task: str) -> tuple[float, float] | None:
    for s in (signif or {}).get("scores", []):
        if s["model"] in aliases and s["task"] == task:
            return float(s["ci_low"]), float(s["ci_high"])
    return None


def _vs_base(signif: dict | None, me: set[str], base: set[str]) -> dict:
    """This model's decisions per set and win rates against its base, from its own side."""
    flip = {"win": "loss", "loss": "win", "tie": "tie"}
    per_set = []
    for c in (signif or {}).get("comparisons", []):
        if c["model_a"] in me and c["model_b"] in base:
            sign, decision = 1.0, c["decision"]
        elif c["model_b"] in me and c["model_a"] in base:
            sign, decision = -1.0, flip[c["decision"]]
        else:
            continue
        spec = BY_TASK.get(c["task"])
        diff, lo, hi = (c.get(k) for k in ("diff", "ci_low", "ci_high"))
        nums = all(isinstance(v, int | float) for v in (diff, lo, hi))
        per_set.append(
            {
                "task": c["task"],
                "title": spec.title if spec else c["task"],
                "decision": decision,
                "diff": sign * diff if nums else None,
                "ci_low": (lo if sign > 0 else -hi) if nums else None,
                "ci_high": (hi if sign > 0 else -lo) if nums else None,
                "p_value": c.get("p_value") if isinstance(c.get("p_value"), int | float) else None,
            }
        )
    rates = {}
    for w in (signif or {}).get("win_rates", []):
        if w["model_a"] in me and w["model_b"] in base:
            rates[w["family"]] = {"win": w["win"], "tie": w["tie"], "loss": w["loss"]}
        elif w["model_b"] in me and w["model_a"] in base:
            rates[w["family"]] = {"win": w["loss"], "tie": w["tie"], "loss": w["win"]}
    order = {s.task: i for i, s in enumerate(SETS)}
    per_set.sort(key=lambda d: (order.get(d["task"], 99), d["task"]))
    return {"sets": per_set, "rates": dict(sorted(rates.items()))}


def build_rows(models: list[Model], signif: dict | None) -> list[dict]:
    """One dict per model, best overall score first; all scores on a 0-1 scale."""
    by_alias: dict[str, Model] = {}
    for m in models:
        for a in sorted(m.aliases):
            by_alias.setdefault(a, m)
    rows = []
    for m in tqdm(models, desc="scores et intervalles", unit="modèle", disable=None):
        scores = {}
        for task, tr in sorted(m.run.tasks.items()):
            spec = BY_TASK[task]
            ci = _signif_ci(signif, m.aliases, task)
            source = "medfr-signif"
            if ci is None and tr.values:
                ci, source = bootstrap_ci(tr.values, tr.clusters), "bootstrap"
            scores[spec.name] = {
                "score": tr.score,
                "n": len(tr.values or []) or tr.n_effective or 0,
                "ci_low": ci[0] if ci else None,
                "ci_high": ci[1] if ci else None,
                "ci_source": source if ci else None,
            }
        families = family_means(m.run.scores, complete_only=True)
        overall = (
            (sum(families.values()) / len(families)) if len(families) == len(FAMILIES) else None
        )
        base = by_alias.get(m.base_model) if m.base_model else None
        card = m.run.run_card or {}
        recipe = card.get("recipe")
        rows.append(
            {
                "slug": slugify(m.name),
                "name": m.name,
                "model_name": m.run.model_name,
                "strategy": m.strategy,
                "base_model": m.base_model,
                "base_slug": slugify(base.name) if base else None,
                "links": [{"title": t, "url": u} for t, u in (m.entry.links if m.entry else [])],
                "notes": m.entry.notes if m.entry else None,
                "scores": scores,
                "families": families,
                "overall": overall,
                "run_card": {k: card[k] for k in CARD_FIELDS if k in card} if card else None,
                "recipe": recipe if isinstance(recipe, str | dict | list) else None,
                "stages": card.get("stages") if isinstance(card.get("stages"), list) else None,
                "vs_base": _vs_base(signif, m.aliases, base.aliases if base else {m.base_model})
                if m.base_model
                else {"sets": [], "rates": {}},
            }
        )
    rows.sort(key=lambda r: (r["overall"] is None, -(r["overall"] or 0.0), r["name"]))
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
    return rows
