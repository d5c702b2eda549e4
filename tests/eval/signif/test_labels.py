"""The words of medfr-signif's outputs: English (issue 15), one name per set shared with the board."""

from __future__ import annotations

import re

from medfr_eval import signif
from medfr_eval.board import labels as board_labels
from medfr_eval.sets import ALL_SETS

FRENCH = re.compile("[àâçéèêëîïôûùü]", re.IGNORECASE)


def test_every_set_has_the_english_title_the_board_shows():
    for s in ALL_SETS:
        title = signif.set_title(s.task)
        assert title == board_labels.set_title(s.name) and not FRENCH.search(title), s.task
    assert signif.set_title("medfr_mmlu_anatomy") == "MMLU Anatomy"


def test_family_and_decision_labels_cover_the_report_and_are_english():
    assert set(signif.FAMILY_ORDER) <= set(signif.FAMILY_LABELS)
    assert signif.FAMILY_LABELS["all"] == "All study sets"
    assert set(signif.DECISION_LABELS) == {"win", "tie", "loss"}
    words = [*signif.FAMILY_LABELS.values(), *signif.DECISION_LABELS.values()]
    assert not any(FRENCH.search(w) for w in words)


def test_shipped_presets_describe_themselves_in_english():
    for name in signif.preset_names():
        text = (signif.presets_dir() / f"{name}.yaml").read_text(encoding="utf-8")
        assert not FRENCH.search(text), name
