"""The four adaptation strategies of the study, in one table.

Recipes, the leaderboard, the plots, ``medfr-signif`` and the demo all name,
label and colour strategies from here, so a new strategy or a new colour is one
edit. ``key`` is what run cards and board entries store.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Strategy:
    key: str  # stored in run cards and entries: "base", "CPT", "SFT", "CPT+SFT"
    label: str  # English label for the interface
    label_fr: str  # French label (the study's wording)
    colour: str  # plots and the site
    stages: tuple[str, ...]  # training stages, in order ("" for the starting model)


STRATEGIES: tuple[Strategy, ...] = (
    Strategy("base", "starting model", "modèle de départ", "#607d8b", ()),
    Strategy("CPT", "continual pre-training", "pré-entraînement continu", "#1565c0", ("cpt",)),
    Strategy(
        "SFT", "supervised fine-tuning (DoRA)", "affinage supervisé (DoRA)", "#ef6c00", ("sft",)
    ),
    Strategy("CPT+SFT", "CPT then SFT", "CPT puis SFT", "#6a1b9a", ("cpt", "sft")),
)
BY_KEY: dict[str, Strategy] = {s.key: s for s in STRATEGIES}
KEYS: tuple[str, ...] = tuple(s.key for s in STRATEGIES)
#: Strategies a training recipe can ask for (all but the starting model).
TRAINED: tuple[str, ...] = tuple(s.key for s in STRATEGIES if s.stages)


def get(key: str) -> Strategy:
    """The strategy named ``key``; ``KeyError`` lists the known ones."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown strategy {key!r}; expected one of {', '.join(KEYS)}") from None
