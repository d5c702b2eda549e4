"""The words ``medfr-signif`` prints that are not data: English, like every medfr interface.

The interface is English, the data and prompts French (docs/design.md). The JSON keeps its keys and values (``decision`` is ``win`` /
``tie`` / ``loss``); these tables only label them for people. Set titles and
family names come from the one name table of :mod:`medfr_eval.core.sets`, which the
board reads too, so that the site and the significance report name a set or a
family alike (and ``signif`` needs nothing of the board).
"""

from __future__ import annotations

from medfr_eval.core.sets import ALL_FAMILIES, family_label, set_label

#: "all" is the study's sets (its "all sets" row); the public extras count in their
#: own families only (the English twins' ``mcq_english``, ``public_native``).
FAMILY_LABELS: dict[str, str] = {"all": family_label("all"), **ALL_FAMILIES}
#: A comparison's decision, read from model_a's side.
DECISION_LABELS: dict[str, str] = {"win": "win", "tie": "tie", "loss": "loss"}
#: A translation gap's decision, read from the French side.
GAP_LABELS: dict[str, str] = {"win": "French better", "loss": "English better", "tie": "tie"}


def set_title(task: str) -> str:
    """The English display name of ``task`` (``medfr_mmlu_anatomy`` -> "MMLU Anatomy")."""
    return set_label(task).title
