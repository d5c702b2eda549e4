"""BERTScore with a tiny local BERT: real bert-score code path, scorer loaded once."""

from __future__ import annotations

import pytest

from medfr_eval.metrics import bertscore


def test_identical_answers_score_one_and_empty_scores_zero(tiny_bertscore_env):
    out = bertscore.score(
        ["La fièvre est une hausse de la température.", "   "],
        ["La fièvre est une hausse de la température.", "réponse"],
    )
    assert out[0]["f1"] == pytest.approx(1.0, abs=1e-5)
    assert out[1] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_different_answers_score_below_one(tiny_bertscore_env):
    (res,) = bertscore.score(["Le pancréas sécrète l'insuline."], ["Le foie stocke le glycogène."])
    assert 0.0 < res["f1"] < 0.999


def test_scorer_loads_once_per_process(tiny_bertscore_env, monkeypatch):
    import bert_score

    bertscore.get_scorer.cache_clear()
    built = []
    real = bert_score.BERTScorer

    def counting(*args, **kwargs):
        built.append(kwargs.get("model_type"))
        return real(*args, **kwargs)

    monkeypatch.setattr(bert_score, "BERTScorer", counting)
    docs = [{"answer": "Une hausse de la température."}] * 3
    for _ in range(3):
        out = bertscore.BERTScoreFilter().apply([["Une fièvre."], ["x"], [""]], docs)
        assert [set(o) for o in out] == [
            {
                "answer",
                "bertscore_f1",
                "bertscore_precision",
                "bertscore_recall",
                "bertscore_scorer",
            }
        ] * 3
    assert built == [str(tiny_bertscore_env)]


def test_settings_from_env_override_yaml(monkeypatch):
    monkeypatch.setenv("MEDFR_BERTSCORE_MODEL", "my/model")
    monkeypatch.setenv("MEDFR_BERTSCORE_LAYER", "7")
    spec = bertscore.ScorerSpec.from_env(model_type="other", num_layers=3, batch_size=8)
    assert (spec.model_type, spec.num_layers, spec.batch_size) == ("my/model", 7, 8)
    monkeypatch.delenv("MEDFR_BERTSCORE_MODEL")
    monkeypatch.delenv("MEDFR_BERTSCORE_LAYER")
    default = bertscore.ScorerSpec.from_env()
    assert default.model_type is None and default.num_layers is None  # bert-score's French default


def test_bad_setting_is_a_data_error_naming_the_variable(monkeypatch):
    from medfr_eval.core.errors import DataError

    monkeypatch.setenv("MEDFR_BERTSCORE_LAYER", "nine")
    with pytest.raises(DataError) as err:
        bertscore.ScorerSpec.from_env(num_layers=3)
    assert str(err.value) == "MEDFR_BERTSCORE_LAYER: expected int, got 'nine'"
    monkeypatch.delenv("MEDFR_BERTSCORE_LAYER")
    with pytest.raises(DataError, match="^num_layers: expected int"):
        bertscore.ScorerSpec.from_env(num_layers="x")
    with pytest.raises(DataError, match="^MEDFR_BERTSCORE_IDF: idf weighting"):
        bertscore.get_scorer(bertscore.ScorerSpec(idf=True))


def test_openqa_results_reads_filter_output():
    scored = {
        "answer": "x",
        "bertscore_f1": 0.5,
        "bertscore_precision": 0.4,
        "bertscore_recall": 0.6,
    }
    assert bertscore.openqa_results({}, [scored]) == {
        "bertscore_f1": 0.5,
        "bertscore_precision": 0.4,
        "bertscore_recall": 0.6,
    }
