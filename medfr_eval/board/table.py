"""From accepted runs to the board's rows: scores, intervals, averages, wins against the base.

Every number a visitor sees is computed here, once, into plain dicts that the HTML,
the CSV, the JSON download and the plots all read, so they cannot disagree.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from tqdm import tqdm

from medfr_eval.core import strategies
from medfr_eval.core.sets import BY_TASK, FAMILIES, SETS
from medfr_eval.lmeval_output import family_means

from .calibration import calibration_sets
from .collect import Entry, Run
from .gap import translation_gap
from .labels import CARD_FIELDS, set_title
from .origin import public_sources, run_origin
from .publish import clean_name, public_model_id, scrub
from .ranking import average_intervals, set_draws, shared_ranks


def slugify(name: str) -> str:
    """A file-safe, collision-proof page name: readable part plus a short hash of the name."""
    readable = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48] or "model"
    return f"{readable}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


@dataclass
class Model:
    """What the board knows about one model before rows are built."""

    run: Run
    entry: Entry | None

    @property
    def name(self) -> str:
        """Entry's name, else the reader's one naming rule (run card, else lm-eval's id,
        a local path by its model folder): the name medfr-signif uses too."""
        if self.entry and clean_name(self.entry.name or ""):
            return clean_name(self.entry.name)
        return self.run.display_name

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
        """Entry's strategy, else the run card's, else "unknown": never guessed.

        A run card records what training did to ``base_model``: the demo's
        ``tiny-base`` card says CPT because it *was* pre-trained from random weights
        on the corpus; the board shows "CPT from tiny-random", and the demo's entry
        (``strategy: base``) is what declares it the starting model of the others.
        A model with neither entry nor card was once shown as a starting model,
        which nothing supported."""
        if self.entry and self.entry.strategy:
            return self.entry.strategy
        strategy = (self.run.run_card or {}).get("strategy")
        return strategy if strategy in strategies.BY_KEY else "unknown"


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
                "title": set_title(spec.name) if spec else c["task"],
                "decision": decision,
                "diff": sign * diff if nums else None,
                "ci_low": (lo if sign > 0 else -hi) if nums else None,
                "ci_high": (hi if sign > 0 else -lo) if nums else None,
                "p_value": _number(c.get("p_value")),
                "p_adjusted": _number(c.get("p_adjusted")),
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
    return {
        "sets": per_set,
        "rates": dict(sorted(rates.items())),
        "correction": _correction(signif),
    }


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _correction(signif: dict | None) -> dict | None:
    """Which multiple-test correction the signif file's ``p_adjusted`` is under, and its m:
    the page labels the adjusted p with it, since a raw p of 0.001 over 15 sets is not
    significant at 0.05 after Bonferroni."""
    method = (signif or {}).get("method")
    if not isinstance(method, dict) or not isinstance(method.get("correction"), str):
        return None
    m = method.get("m")
    return {"name": clean_name(method["correction"]),
            "m": m if isinstance(m, int) and not isinstance(m, bool) else None}  # fmt: skip


def build_rows(models: list[Model], signif: dict | None) -> list[dict]:
    """One dict per model, best overall score first; all scores on a 0-1 scale."""
    by_alias: dict[str, Model] = {}
    for m in models:
        for a in sorted(m.aliases):
            by_alias.setdefault(a, m)
    rows = []
    for m in tqdm(models, desc="scores and intervals", unit="model", disable=None):
        scores = {}
        draws = set_draws(m.run)  # one bootstrap per set: its cell and the averages
        for task, tr in sorted(m.run.tasks.items()):
            spec = BY_TASK[task]
            ci = _signif_ci(signif, m.aliases, task)
            source = "medfr-signif"
            if ci is None and task in draws:
                ci, source = draws[task].interval(0.95), "bootstrap"
            scores[spec.name] = {
                "score": tr.score,
                "n": len(tr.values or []) or tr.n_effective or 0,
                "ci_low": ci[0] if ci else None,
                "ci_high": ci[1] if ci else None,
                "ci_source": source if ci else None,
            }
        # The study's three families only: a run with English twins (or other public
        # extras) has more families, which must not change the overall score.
        families = {
            f: v for f, v in family_means(m.run.scores, complete_only=True).items() if f in FAMILIES
        }
        overall = (
            (sum(families.values()) / len(families)) if len(families) == len(FAMILIES) else None
        )
        base = by_alias.get(m.base_model) if m.base_model else None
        card = m.run.run_card or {}
        recipe = card.get("recipe")
        cis = average_intervals(draws)
        origin = run_origin(m.run)
        rows.append(
            {
                "slug": slugify(m.name),
                "name": m.name,
                "model_name": public_model_id(m.run.model_name),
                "strategy": m.strategy,
                "base_model": (base.name if base else public_model_id(m.base_model))
                if m.base_model
                else None,
                "base_slug": slugify(base.name) if base else None,
                "links": [{"title": t, "url": u} for t, u in (m.entry.links if m.entry else [])],
                "notes": m.entry.notes if m.entry else None,
                "scores": scores,
                "families": families,
                "families_ci": {f: list(cis[f]) for f in families if f in cis},
                "overall": overall,
                "overall_ci": list(cis["overall"])
                if overall is not None and "overall" in cis
                else None,
                "data": origin.kind,
                "data_public": public_sources([origin]),
                "translation_gap": translation_gap(m.run, signif, m.aliases),
                "calibration": calibration_sets(m.run),
                "reliability_plot": None,  # set by the build once the SVG is drawn
                "run_card": scrub({k: card[k] for k in CARD_FIELDS if k in card}) if card else None,
                "recipe": scrub(recipe) if isinstance(recipe, str | dict | list) else None,
                "stages": scrub(card["stages"]) if isinstance(card.get("stages"), list) else None,
                "vs_base": _vs_base(signif, m.aliases, base.aliases if base else {m.base_model})
                if m.base_model
                else {"sets": [], "rates": {}, "correction": None},
            }
        )
    rows.sort(key=lambda r: (r["overall"] is None, -(r["overall"] or 0.0), r["name"]))
    shared_ranks(rows)
    return rows
