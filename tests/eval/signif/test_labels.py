"""The words of medfr-signif's outputs: English, one name per set and family shared with the board."""

from __future__ import annotations

import re
import subprocess
import sys

from medfr_eval import signif
from medfr_eval.board import labels as board_labels
from medfr_eval.core import sets
from medfr_eval.core.sets import ALL_SETS

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


def test_signif_and_the_board_name_every_family_from_one_table():
    keys = [*sets.ALL_FAMILIES, "all"]
    for key in keys:
        assert signif.FAMILY_LABELS[key] == board_labels.family_label(key) == sets.family_label(key)
    assert board_labels.FAMILIES is sets.ALL_FAMILIES and board_labels.SETS is sets.SET_LABELS
    # the words lm-eval's group aliases and the README use
    assert sets.FAMILIES == {
        "mcq_translated": "Translated MCQ", "mcq_native": "Native MCQ", "openqa": "Open QA"}  # fmt: skip
    assert set(sets.SET_LABELS) == {s.name for s in ALL_SETS}


def test_signif_reads_its_names_without_importing_the_board():
    code = (
        "import sys, medfr_eval.signif, medfr_eval.signif.cli, medfr_eval.signif.report; "
        "print(sorted(m for m in sys.modules if m.startswith('medfr_eval.board')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
