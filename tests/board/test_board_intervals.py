"""Intervals on the site: one bootstrap per model and set, read by the set's cell and the averages."""

from __future__ import annotations

import json

import numpy as np
import pytest
from board_fixtures import BASE, N_ITEMS, build

from medfr_eval.board.collect import read_runs
from medfr_eval.board.ranking import average_intervals, set_draws, set_seed
from medfr_eval.core.sets import FAMILIES, SETS
from medfr_eval.signif import bootstrap as bs


def test_each_set_is_bootstrapped_once_per_model(runs, monkeypatch):
    calls = []
    real = bs.resample_means

    def counting(x, **kw):
        calls.append(len(x))
        return real(x, **kw)

    monkeypatch.setattr(bs, "resample_means", counting)
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    # four models, the 15 sets each, all with sample logs (no English twins: no gap bootstrap)
    assert len(calls) == 4 * len(SETS)


def test_set_cell_and_family_average_read_the_same_draws(runs):
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    data = json.loads((site / "data/leaderboard.json").read_text())
    row = next(m for m in data["models"] if m["model_name"] == BASE)  # no signif interval
    run = next(r for r in read_runs([runs["out"]]) if r.model_name == BASE)
    draws = set_draws(run)
    for s in SETS:
        shown = row["scores"][s.name]
        assert shown["ci_source"] == "bootstrap"
        assert (shown["ci_low"], shown["ci_high"]) == pytest.approx(draws[s.task].interval(0.95))
    for fam in FAMILIES:
        members = np.mean([draws[s.task].samples for s in SETS if s.family == fam], axis=0)
        expected = np.quantile(members, [0.025, 0.975])
        assert row["families_ci"][fam] == pytest.approx(list(expected))
    assert row["overall_ci"] == pytest.approx(list(average_intervals(draws)["overall"]))


def test_case_questions_are_resampled_by_case(runs):
    run = next(r for r in read_runs([runs["out"]]) if r.model_name == BASE)
    tr = run.tasks["medfr_frclinicalqa"]
    assert tr.clusters == [f"cas-{i // 3}" for i in range(N_ITEMS)]
    by_case = set_draws(run)["medfr_frclinicalqa"]
    by_item = bs.bootstrap_distribution(tr.values, seed=set_seed("medfr_frclinicalqa"))
    assert by_case.n_clusters == 4 and by_item.n_clusters == N_ITEMS
    assert by_case.interval(0.95) != pytest.approx(by_item.interval(0.95))


def test_draws_are_reproducible_and_independent_across_sets(runs):
    run = next(r for r in read_runs([runs["out"]]) if r.model_name == BASE)
    a, b = set_draws(run), set_draws(run)
    assert all(np.array_equal(a[t].samples, b[t].samples) for t in a)  # same bytes on rebuild
    x = a["medfr_medqa_4opt"].samples - a["medfr_medqa_4opt"].estimate
    y = a["medfr_medmcqa"].samples - a["medfr_medmcqa"].estimate
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.05  # not the same resampled items
