"""The words ``medfr-signif`` prints that are not data: English, like every medfr interface.

Decision (issue 15, README "Design decisions"): the interface is English, the
data and prompts French. The JSON keeps its keys and values (``decision`` is
``win`` / ``tie`` / ``loss``); these tables only label them for people. Set
titles come from the board's table (:mod:`medfr_eval.board.labels`), which holds
the English title of every set (``medfr_eval.sets`` keeps some French ones for the
task files), so that the site and the significance report name a set alike.
"""

from __future__ import annotations

from medfr_eval.board import labels as board_labels
from medfr_eval.sets import BY_TASK, FAMILIES

#: "all" is the study's sets (its "all sets" row); the public extras count in their families only.
FAMILY_LABELS: dict[str, str] = {"all": "All study sets", **FAMILIES}
#: A comparison's decision, read from model_a's side.
DECISION_LABELS: dict[str, str] = {"win": "win", "tie": "tie", "loss": "loss"}
#: A translation gap's decision, read from the French side.
GAP_LABELS: dict[str, str] = {"win": "French better", "loss": "English better", "tie": "tie"}


def set_title(task: str) -> str:
    """The English display name of ``task`` (``medfr_mmlu_anatomy`` -> "MMLU Anatomy")."""
    return board_labels.set_title(BY_TASK[task].name)
