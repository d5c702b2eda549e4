"""The paired bootstrap on known cases (pure numpy, fast)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from medfr_eval.signif.bootstrap import (
    BootstrapInputError,
    ResampleIndex,
    bootstrap_distribution,
    correct,
    corrected_level,
    decide,
    holm_levels,
    paired_bootstrap,
    resample_means,
)


def counts_case(plus: int, minus: int, n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Two 0/1 score vectors where A alone is right on ``plus`` items, B alone on ``minus``."""
    a = np.zeros(n)
    b = np.zeros(n)
    a[:plus] = 1
    b[plus : plus + minus] = 1
    return a, b


def test_identical_models_tie_with_p_one():
    rng = np.random.default_rng(3)
    for a in (rng.integers(0, 2, 300).astype(float), rng.random(120)):
        r = paired_bootstrap(a, a.copy())
        assert r.decision == "tie"
        assert r.estimate == 0.0
        assert r.ci_low == r.ci_high == 0.0
        assert r.p_value == 1.0


def test_model_right_on_every_item_wins_and_the_other_loses():
    a = np.ones(200)
    b = np.tile([1.0, 0.0, 0.0, 1.0, 0.0], 40)
    r = paired_bootstrap(a, b, m=165)
    assert r.decision == "win"
    assert r.estimate == pytest.approx(0.6)
    assert 0.0 < r.ci_low < 0.6 < r.ci_high <= 1.0
    assert r.p_value == pytest.approx(2 / 10_001)
    assert paired_bootstrap(b, a, m=165).decision == "loss"


def test_hand_computed_three_items():
    # d = a - b = (1, 0, 0): a resample's mean is K/3 with K ~ Binomial(3, 1/3),
    # P(K = 0, 1, 2, 3) = 8/27, 12/27, 6/27, 1/27.
    a, b = [1, 1, 0], [0, 1, 0]
    dist = bootstrap_distribution(a, b, resamples=20_000, seed=5)
    assert dist.estimate == pytest.approx(1 / 3)
    freq = np.array([np.mean(np.isclose(dist.samples, k / 3)) for k in range(4)])
    np.testing.assert_allclose(freq, np.array([8, 12, 6, 1]) / 27, atol=0.012)
    # 2.5 % quantile is in the mass at 0, 97.5 % in the mass at 1 (P(K <= 2) = 26/27 < .975).
    assert dist.interval(0.95) == (0.0, 1.0)
    # p = 2 * P(s* <= 0) = 16/27 (up to Monte-Carlo error and the +1).
    assert dist.p_value() == pytest.approx(16 / 27, abs=0.02)
    assert decide(*dist.interval(0.95)) == "tie"


def test_hand_computed_cluster_case():
    # Two clusters: c1 holds two items with d = 1, c2 one item with d = 0. Drawing two
    # clusters: {c1, c1} -> 1 (1/4), {c1, c2} -> 2/3 (1/2), {c2, c2} -> 0 (1/4).
    dist = bootstrap_distribution(
        [1, 1, 0], [0, 0, 0], clusters=["c1", "c1", "c2"], resamples=20_000, seed=2
    )
    assert dist.kind == "cluster" and dist.n == 3 and dist.n_clusters == 2
    freq = [np.mean(np.isclose(dist.samples, v)) for v in (1.0, 2 / 3, 0.0)]
    np.testing.assert_allclose(freq, [0.25, 0.5, 0.25], atol=0.012)


def test_cluster_interval_is_wider_when_clusters_are_homogeneous():
    # Whole cases succeed or fail together: items are far from independent.
    rng = np.random.default_rng(0)
    case_effect = rng.normal(0, 0.2, 40)
    clusters = np.repeat(np.arange(40), 6)
    d = case_effect[clusters] + rng.normal(0, 0.02, clusters.size)
    plain = paired_bootstrap(d, np.zeros_like(d))
    clustered = paired_bootstrap(d, np.zeros_like(d), clusters=clusters)
    assert clustered.estimate == pytest.approx(plain.estimate)
    width = lambda r: r.ci_high - r.ci_low  # noqa: E731
    assert width(clustered) > 1.8 * width(plain)


def test_decisions_stable_across_seeds_on_a_clear_case():
    a, b = counts_case(90, 30)
    decisions = {paired_bootstrap(a, b, m=165, seed=s).decision for s in range(25)}
    assert decisions == {"win"}
    rng = np.random.default_rng(1)
    x = rng.random(201)
    y = x - 0.05 + rng.normal(0, 0.03, 201)
    assert {paired_bootstrap(x, y, m=165, seed=s).decision for s in range(10)} == {"win"}


def test_bonferroni_changes_a_borderline_decision():
    a, b = counts_case(60, 35)  # z about 2.6: significant at 95 %, not at 1 - 0.05/11
    for seed in range(5):
        assert paired_bootstrap(a, b, m=1, seed=seed).decision == "win"
        assert paired_bootstrap(a, b, m=11, seed=seed).decision == "tie"
    assert corrected_level(0.05, 11, "bonferroni") == pytest.approx(1 - 0.05 / 11)
    assert corrected_level(0.05, 11, "none") == pytest.approx(0.95)


def test_holm_step_down_rejects_more_than_bonferroni_and_stops():
    strong = bootstrap_distribution(*counts_case(90, 20), seed=1)
    borderline = bootstrap_distribution(*counts_case(58, 37), seed=1)  # p about 0.037
    null = bootstrap_distribution(*counts_case(40, 40), seed=1)
    bonf = correct([strong, borderline], 0.05, "bonferroni")
    holm = correct([strong, borderline], 0.05, "holm")
    assert [r.decision for r in bonf] == ["win", "tie"]
    assert [r.decision for r in holm] == ["win", "win"]
    assert holm[0].level == pytest.approx(1 - 0.05 / 2)
    assert holm[1].level == pytest.approx(0.95)
    # Once a comparison is not rejected, the later ones (larger p) are ties.
    three = correct([null, borderline, strong], 0.05, "holm")
    assert [r.decision for r in three] == ["tie", "tie", "win"]
    np.testing.assert_allclose(holm_levels([0.3, 0.01, 0.02], 0.05), [0.95, 1 - 0.05 / 3, 0.975])
    assert [r.level for r in correct([strong, null], 0.05, "none")] == [0.95, 0.95]


@pytest.mark.parametrize("engine", ["multinomial", "index"])
def test_three_valued_shortcut_matches_plain_resampling(engine):
    # Exact law of the resampled mean difference for d in {+1, 0, -1} with counts
    # (3, 10, 2), n = 15: (K+, K0, K-) ~ Multinomial(15, (3, 10, 2) / 15).
    d = np.array([1.0] * 3 + [0.0] * 10 + [-1.0] * 2)
    n = d.size
    pmf: dict[int, float] = {}
    law = stats.multinomial(n, [3 / n, 10 / n, 2 / n])
    for kp in range(n + 1):
        for km in range(n + 1 - kp):
            pmf[kp - km] = pmf.get(kp - km, 0.0) + law.pmf([kp, n - kp - km, km])
    r = 40_000
    samples, used = resample_means(d, resamples=r, rng=np.random.default_rng(11), engine=engine)
    assert used == engine
    values = np.rint(samples * n).astype(int)
    support = sorted(pmf)
    expected = np.array([pmf[v] for v in support]) * r
    observed = np.array([np.count_nonzero(values == v) for v in support])
    assert observed.sum() == r
    keep = expected >= 5  # pool the sparse tails into one cell
    obs = np.append(observed[keep], observed[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    assert stats.chisquare(obs, exp).pvalue > 1e-3
    # And a shifted law is rejected by the same test, so the test can fail.
    shifted = np.array([pmf.get(v - 1, 0.0) for v in support]) * r
    exp_s = np.append(shifted[keep], shifted[~keep].sum())
    exp_s = exp_s * obs.sum() / exp_s.sum()
    assert stats.chisquare(obs, exp_s).pvalue < 1e-6


def test_auto_engine_choice_and_two_engines_agree_on_intervals():
    a, b = counts_case(70, 50, n=800)
    auto = bootstrap_distribution(a, b, seed=0)
    index = bootstrap_distribution(a, b, seed=0, engine="index")
    assert auto.engine == "multinomial" and index.engine == "index"
    for lo_hi in zip(auto.interval(0.95), index.interval(0.95), strict=True):
        assert abs(lo_hi[0] - lo_hi[1]) <= 0.006
    cont = bootstrap_distribution(np.random.default_rng(0).random(100), seed=0)
    assert cont.engine == "index" and cont.kind == "single"


def test_single_model_score_interval_covers_its_mean():
    x = np.random.default_rng(4).random(262)
    dist = bootstrap_distribution(x, seed=0)
    lo, hi = dist.interval(0.95)
    assert lo < x.mean() < hi
    se = x.std(ddof=1) / math.sqrt(x.size)
    assert hi - lo == pytest.approx(2 * 1.96 * se, rel=0.08)


def test_same_seed_same_result_other_seed_other_draws():
    a, b = counts_case(60, 40)
    assert paired_bootstrap(a, b, seed=7) == paired_bootstrap(a, b, seed=7)
    d1 = bootstrap_distribution(a, b, seed=7).samples
    d2 = bootstrap_distribution(a, b, seed=8).samples
    assert not np.array_equal(d1, d2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"a": [], "b": []}, "empty"),
        ({"a": [1, 0], "b": [1]}, "differ in length"),
        ({"a": [1, float("nan")], "b": [1, 0]}, r"a\[1\] is not a finite"),
        ({"a": [[1, 0]], "b": [[1, 0]]}, "one-dimensional"),
        ({"a": [1, 0], "b": [0, 0], "clusters": ["x"]}, "one label per item"),
        ({"a": [1, 0], "b": [0, 0], "alpha": 1.5}, "alpha"),
        ({"a": [1, 0], "b": [0, 0], "resamples": 0}, "resamples"),
    ],
)
def test_bad_input_raises_a_clear_error(kwargs, message):
    with pytest.raises(BootstrapInputError, match=message):
        paired_bootstrap(**kwargs)


def test_unknown_correction_is_refused():
    with pytest.raises(BootstrapInputError, match="unknown correction"):
        correct([bootstrap_distribution([1, 0], [0, 0])], 0.05, "sidak")


def test_binomial_chain_has_the_bootstrap_moments_for_many_atoms():
    # Any d: a bootstrap mean has expectation mean(d) and variance var(d) / n (ddof 0).
    d = np.array([-1.0, -0.5, 0.0, 0.0, 0.25, 0.5, 1.0, 1.0, 1.0, 2.0])
    samples, used = resample_means(d, resamples=200_000, rng=np.random.default_rng(0))
    assert used == "multinomial"
    assert samples.mean() == pytest.approx(d.mean(), abs=0.003)
    assert samples.var() == pytest.approx(d.var() / d.size, rel=0.02)


def test_shared_index_gives_the_paired_bootstrap_of_each_pair():
    rng = np.random.default_rng(8)
    base = rng.random(150)
    models = [base + rng.normal(s, 0.05, 150) for s in (0.0, 0.03, 0.0)]
    index = ResampleIndex(150, resamples=10_000, rng=np.random.default_rng(1))
    shared = bootstrap_distribution(models[1], models[0], index=index)
    fresh = bootstrap_distribution(models[1], models[0], seed=4)
    assert shared.engine == "index" and shared.estimate == fresh.estimate
    for x, y in zip(shared.interval(0.95), fresh.interval(0.95), strict=True):
        assert abs(x - y) < 0.002
    # Same values -> the same cached means -> an exact zero difference.
    same = bootstrap_distribution(models[2], models[2].copy(), index=index)
    assert same.engine == "multinomial" and same.p_value() == 1.0
    # The difference of the two models' means on the same resamples is the paired statistic.
    idx = index._idx
    np.testing.assert_allclose(shared.samples, (models[1] - models[0])[idx].mean(axis=1))
    with pytest.raises(BootstrapInputError, match="does not fit"):
        bootstrap_distribution(models[0][:100], models[1][:100], index=index)


def test_shared_index_with_clusters_resamples_whole_cases():
    labels = np.repeat(np.arange(30), 4)
    x = np.random.default_rng(2).random(120)
    index = ResampleIndex(120, resamples=5000, rng=np.random.default_rng(0), clusters=labels)
    shared = bootstrap_distribution(x, clusters=labels, index=index, resamples=5000)
    fresh = bootstrap_distribution(x, clusters=labels, seed=0, resamples=5000)
    assert shared.n_clusters == 30 and shared.engine == "index"
    assert shared.samples.std() == pytest.approx(fresh.samples.std(), rel=0.06)
