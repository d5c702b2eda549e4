"""Agreement statistics against hand computations and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from medfr_eval.judge import agreement as ag

JUDGE = np.array([1, 1, 1, 0, 0, 1, 0, 1, 1, 0])
HUMAN = np.array([1, 1, 0, 0, 1, 1, 0, 0, 1, 0])
# both 1: items 0,1,5,8; judge only: 2,7; human only: 4; neither: 3,6,9


def test_counts_accuracy_f1_kappa_by_hand():
    c = ag.confusion(JUDGE, HUMAN)
    assert (c.both, c.judge_only, c.human_only, c.neither) == (4, 2, 1, 3)
    assert ag.accuracy(c) == pytest.approx(0.7)
    assert ag.f1(c) == pytest.approx(8 / 11)  # 2*4 / (2*4 + 2 + 1)
    # p_o = 0.7; p_e = 0.6*0.5 + 0.4*0.5 = 0.5; kappa = 0.2 / 0.5
    assert ag.cohen_kappa(c) == pytest.approx(0.4)
    # phi = (4*3 - 2*1) / sqrt(6 * 4 * 5 * 5)
    assert ag.pearson(JUDGE, HUMAN) == pytest.approx(10 / math.sqrt(600))


def test_degenerate_cases_give_none_not_nan():
    same = np.ones(5, dtype=int)
    c = ag.confusion(same, same)
    assert ag.accuracy(c) == 1.0 and ag.cohen_kappa(c) is None and ag.pearson(same, same) is None
    zeros = np.zeros(4, dtype=int)
    assert ag.f1(ag.confusion(zeros, zeros)) is None
    assert ag.accuracy(ag.confusion(np.array([]), np.array([]))) is None


def test_mcnemar_exact_by_hand_and_against_scipy():
    # b = 10, c = 2: p = 2 * P(X <= 2 | n=12, 1/2) = 2 * (1 + 12 + 66) / 4096
    c = ag.Confusion(both=5, judge_only=10, human_only=2, neither=7)
    assert ag.mcnemar_exact(c) == pytest.approx(158 / 4096)
    for b, cc in [(0, 5), (3, 3), (7, 1), (20, 9), (1, 0)]:
        case = ag.Confusion(both=1, judge_only=b, human_only=cc, neither=1)
        assert ag.mcnemar_exact(case) == pytest.approx(stats.binomtest(b, b + cc, 0.5).pvalue)
    assert ag.mcnemar_exact(ag.Confusion(3, 0, 0, 2)) == 1.0


def test_bootstrap_interval():
    low, high = ag.bootstrap_accuracy(JUDGE, HUMAN, resamples=2000, seed=1)
    assert low <= 0.7 <= high and 0.0 <= low < high <= 1.0
    assert ag.bootstrap_accuracy(JUDGE, HUMAN, resamples=2000, seed=1) == (low, high)
    # the same resampling done by hand
    rng = np.random.default_rng(1)
    agree = (JUDGE == HUMAN).astype(float)
    means = np.concatenate(
        [agree[rng.integers(0, 10, size=(1000, 10))].mean(axis=1) for _ in range(2)]
    )
    assert (low, high) == tuple(np.quantile(means, [0.025, 0.975]))
    assert ag.bootstrap_accuracy(HUMAN, HUMAN, resamples=500) == (1.0, 1.0)


def test_verbosity_bias_shows_in_the_length_correlation():
    words = np.arange(10, 110, 10)
    judge = (words > 40).astype(int)  # a judge that rewards length
    human = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 0])
    a = ag.agreement(judge, human, words, resamples=200)
    assert a.length_judge["rho"] == pytest.approx(stats.spearmanr(words, judge).statistic)
    assert a.length_judge["rho"] > 0.8 > abs(a.length_human["rho"])
    assert a.judge_positive_rate == 0.6 and a.human_positive_rate == 0.5
    assert set(a.to_dict()) >= {"accuracy", "accuracy_ci95", "kappa", "mcnemar_p", "f1"}
