"""ECE, Brier and near-miss against hand computations; the reliability data."""

from __future__ import annotations

import math

import pytest

from medfr_eval.mcq.probs import letter_marginals, renormalise
from medfr_eval.metrics.calibration import bin_index, ece, item_calibration, reliability_bins


def test_brier_and_near_miss_by_hand():
    out = item_calibration({"A": 0.5, "B": 0.3, "C": 0.2}, gold="B", pred="A")
    # (0.5-0)^2 + (0.3-1)^2 + (0.2-0)^2 = 0.25 + 0.49 + 0.04
    assert out["brier"] == pytest.approx(0.78)
    assert out["near_miss"] == 1.0
    assert out["ece"]["confidence"] == 0.5 and out["ece"]["correct"] == 0.0
    right = item_calibration({"A": 0.5, "B": 0.3, "C": 0.2}, gold="A")
    assert right["brier"] == pytest.approx(0.25 + 0.09 + 0.04)
    assert right["near_miss"] == 0.0
    third = item_calibration({"A": 0.5, "B": 0.3, "C": 0.2}, gold="C")
    assert third["near_miss"] == 0.0


def test_brier_with_several_gold_letters():
    out = item_calibration({"A": 0.6, "B": 0.1, "C": 0.3}, gold=["A", "C"])
    # target 0.5 on A and C: 0.1^2 + 0.1^2 + 0.2^2
    assert out["brier"] == pytest.approx(0.01 + 0.01 + 0.04)
    assert out["ece"]["correct"] == 1.0


def test_no_probabilities_no_metrics():
    assert item_calibration({}, gold="A") == {}


def test_ece_by_hand():
    # 15 equal-width bins of 1/15 = 0.0667.
    records = [
        {"confidence": 0.9, "correct": 1.0},  # bin 13 (0.8667, 0.9333]
        {"confidence": 0.92, "correct": 0.0},  # bin 13
        {"confidence": 0.5, "correct": 1.0},  # bin 7 (0.4667, 0.5333]
        {"confidence": 0.3, "correct": 0.0},  # bin 4 (0.2667, 0.3333]
    ]
    assert [bin_index(r["confidence"]) for r in records] == [13, 13, 7, 4]
    # bin 13: |0.5 - 0.91| * 2/4 ; bin 7: |1 - 0.5| * 1/4 ; bin 4: |0 - 0.3| * 1/4
    expected = 0.41 * 0.5 + 0.5 * 0.25 + 0.3 * 0.25
    assert ece(records) == pytest.approx(expected)
    bins = reliability_bins(records)
    assert len(bins) == 15 and sum(b["count"] for b in bins) == 4
    assert bins[13]["accuracy"] == 0.5 and bins[13]["confidence"] == pytest.approx(0.91)
    assert bins[0]["accuracy"] is None


def test_bin_edges():
    assert bin_index(0.0) == 0
    assert bin_index(1.0) == 14
    assert bin_index(1 / 15) == 0  # right-closed bins
    assert bin_index(1 / 15 + 1e-9) == 1


def test_renormalise_and_marginals():
    lp = {"A": math.log(0.2), "B": math.log(0.2), "C": math.log(0.1)}
    probs = renormalise(lp, ["A", "B", "C", "D"])
    assert probs == pytest.approx({"A": 0.4, "B": 0.4, "C": 0.2, "D": 0.0})
    assert renormalise({}, ["A"]) == {}
    marg = letter_marginals(["A", "B", "A B"], [0.5, 0.2, 0.3])
    assert marg == pytest.approx({"A": 0.8, "B": 0.5})
