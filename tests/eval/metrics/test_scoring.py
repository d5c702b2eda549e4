"""EMR and Hamming score on hand-made cases; the multi-answer process_results."""

from __future__ import annotations

import pytest

from medfr_eval.data.load import letter_sets
from medfr_eval.metrics.scoring import (
    argmax,
    emr,
    hamming_score,
    multi_answer_choices,
    multi_answer_results,
)


@pytest.mark.parametrize(
    "pred,gold,e,h",
    [
        ("A C", "A C", 1.0, 1.0),
        ("A", "A C", 0.0, 0.5),
        ("A B C", "A C", 0.0, 2 / 3),
        ("B", "A C", 0.0, 0.0),
        ("A B C D E", "C", 0.0, 0.2),
        ("C A", "A C", 1.0, 1.0),
    ],
)
def test_emr_and_hamming(pred, gold, e, h):
    assert emr(pred, gold) == e
    assert hamming_score(pred, gold) == pytest.approx(h)


def test_argmax_first_on_ties():
    assert argmax([0.1, 0.5, 0.5]) == 1
    assert argmax([-3.0]) == 0


def test_multi_answer_choices_end_with_the_marker():
    choices = letter_sets(5)
    assert multi_answer_choices({"choices": choices}) == [c + "\n" for c in choices]


def test_multi_answer_results_picks_highest_set():
    """Bookkeeping only; tests/eval/mcq/test_multi_answer_scoring.py checks a real model."""
    choices = letter_sets(5)
    doc = {"choices": choices, "gold": choices.index("A C")}
    lls = [(-10.0, False)] * 31
    lls[choices.index("A B C")] = (-1.0, False)
    out = multi_answer_results(doc, lls)
    assert {k: out[k] for k in ("acc", "emr", "hamming")} == {
        "acc": 0.0,
        "emr": 0.0,
        "hamming": pytest.approx(2 / 3),
    }
    assert out["ece"]["pred"] == "A B C"
    lls[choices.index("A C")] = (-0.5, False)
    assert multi_answer_results(doc, lls)["emr"] == 1.0
    with pytest.raises(ValueError):
        multi_answer_results(doc, lls[:5])
