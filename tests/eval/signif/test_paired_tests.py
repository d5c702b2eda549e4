"""McNemar, the sign-flip permutation test and the corrections, against scipy and by hand."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binomtest, false_discovery_control

from medfr_eval.cli import signif_main as main
from medfr_eval.signif import corrections, paired_tests

sys.path.insert(0, str(Path(__file__).parent))
from signif_fixtures import binary, write_run  # noqa: E402


def _pairs(b01: int, c10: int, same: int) -> tuple[np.ndarray, np.ndarray]:
    """Paired 0/1 outcomes with b01 items A right / B wrong, c10 the reverse."""
    a = [1] * b01 + [0] * c10 + [1] * same
    b = [0] * b01 + [1] * c10 + [1] * same
    return np.array(a, float), np.array(b, float)


@pytest.mark.parametrize("b01,c10", [(10, 2), (3, 3), (0, 7), (25, 12)])
def test_mcnemar_exact_is_scipys_binomial_test_on_discordant_items(b01, c10):
    a, b = _pairs(b01, c10, same=40)
    assert paired_tests.mcnemar_p(a, b) == pytest.approx(binomtest(b01, b01 + c10, 0.5).pvalue)


def test_mcnemar_known_values_and_refusals():
    # 10 vs 2 discordant: 2 * P(X <= 2 | Bin(12, 1/2)) = 2 * 79 / 4096.
    assert paired_tests.mcnemar_p(*_pairs(10, 2, 5)) == pytest.approx(2 * 79 / 4096)
    assert paired_tests.mcnemar_p(*_pairs(0, 0, 5)) == 1.0
    with pytest.raises(ValueError, match="0/1"):
        paired_tests.mcnemar_p([0.5, 1.0], [1.0, 0.0])


def test_permutation_p_by_hand_on_tiny_cases():
    rng = np.random.default_rng(0)
    # d = (1, 1, 1): of the 8 sign flips only +++ and --- reach |sum| 3.
    assert paired_tests.permutation_p([1, 1, 1], [0, 0, 0], rng=rng) == 0.25
    # d = (1, -0.5, 2): flips give |sum| 2.5, 1.5, 3.5, 0.5, 0.5, 3.5, 1.5, 2.5 -> 4 of 8 >= 2.5.
    assert paired_tests.permutation_p([1, 0, 2], [0, 0.5, 0], rng=rng) == 0.5
    # Zero differences do not flip; all zero: no evidence at all.
    assert paired_tests.permutation_p([1, 1, 1, 0], [0, 0, 0, 0], rng=rng) == 0.25
    assert paired_tests.permutation_p([1, 0], [1, 0], rng=rng) == 1.0
    # Clusters flip whole: d = (1, 1 | -1): cluster sums (2, -1) -> |±2 ± 1| >= 1 always.
    p = paired_tests.permutation_p([1, 1, 0], [0, 0, 1], rng=rng, clusters=["x", "x", "y"])
    assert p == 1.0


def test_permutation_on_0_1_data_is_the_exact_sign_test_in_the_limit():
    a, b = _pairs(30, 14, same=100)
    exact = paired_tests.mcnemar_p(a, b)  # the exact sign test on discordant items
    mc = paired_tests.permutation_p(a, b, resamples=200_000, rng=np.random.default_rng(1))
    assert mc == pytest.approx(exact, abs=0.004)


def test_bh_is_scipys_and_holm_bonferroni_by_hand():
    p = [0.01, 0.04, 0.03, 0.005]
    assert corrections.adjust(p, "bh") == pytest.approx(false_discovery_control(p, method="bh"))
    assert corrections.adjust(p, "bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert corrections.adjust(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert corrections.adjust(p, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 0.02])
    assert corrections.adjust(p, "none") == pytest.approx(p)
    rng = np.random.default_rng(3)
    q = rng.uniform(0, 0.2, 30)
    assert corrections.adjust(q, "bh") == pytest.approx(false_discovery_control(q))


@pytest.fixture
def runs(tmp_path) -> Path:
    out = tmp_path / "o"
    rng = np.random.default_rng(0)
    kqa = rng.uniform(0.4, 0.6, 30)
    write_run(out, "org/a", {"medfr_pubmedqa": binary(80, 60), "medfr_frmedmcqa": binary(60, 40),
                             "medfr_kqa": (kqa + 0.2).tolist()})  # fmt: skip
    write_run(out, "org/b", {"medfr_pubmedqa": binary(80, 20), "medfr_frmedmcqa": binary(60, 38),
                             "medfr_kqa": kqa.tolist()})  # fmt: skip
    return out


def _run(argv) -> dict:
    assert main(argv) == 0
    return json.loads((Path(argv[argv.index("--out") + 1]) / "signif.json").read_text())


def test_cli_mcnemar_uses_the_exact_test_on_0_1_sets_and_says_where_it_cannot(runs, tmp_path):
    data = _run([str(runs), "--test", "mcnemar", "--out", str(tmp_path / "r")])
    by = {c["task"]: c for c in data["comparisons"]}
    assert data["method"]["test"] == "mcnemar"
    assert by["medfr_pubmedqa"]["test"] == "mcnemar"
    # pubmedqa: items 0-19 both right, 20-59 only A: 40 vs 0 discordant.
    assert by["medfr_pubmedqa"]["p_value"] == pytest.approx(binomtest(40, 40).pvalue)
    assert by["medfr_pubmedqa"]["p_adjusted"] == pytest.approx(3 * binomtest(40, 40).pvalue)
    assert by["medfr_pubmedqa"]["decision"] == "win"
    assert by["medfr_frmedmcqa"]["decision"] == "tie"  # 2 discordant items only
    assert by["medfr_kqa"]["test"] == "permutation"  # BERTScore is not 0/1
    assert any(w["kind"] == "test" and "medfr_kqa" in w["message"] for w in data["warnings"])
    md = (tmp_path / "r" / "signif.md").read_text(encoding="utf-8")
    assert "mcnemar" in md and "adjusted p" in md


def test_cli_permutation_and_bh(runs, tmp_path):
    data = _run([str(runs), "--test", "permutation", "--correction", "bh",
                 "--out", str(tmp_path / "r")])  # fmt: skip
    ps = [c["p_value"] for c in data["comparisons"]]
    assert [c["p_adjusted"] for c in data["comparisons"]] == pytest.approx(
        false_discovery_control(ps)
    )
    for c in data["comparisons"]:
        assert c["test"] == "permutation"
        assert c["decision"] == ("tie" if c["p_adjusted"] > 0.05 else "win")
    boot = _run([str(runs), "--correction", "bh", "--out", str(tmp_path / "b")])
    assert all(c["test"] == "bootstrap" and 0 < c["p_value"] <= 1 for c in boot["comparisons"])
