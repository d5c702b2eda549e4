"""BERTScore is loaded when the task is built, before any generation; failing is one line."""

from __future__ import annotations

import pytest

from medfr_eval.metrics import bertscore


def test_unloadable_scorer_stops_before_generation(tmp_path, monkeypatch):
    import lm_eval.evaluator

    import medfr_eval

    monkeypatch.setenv("MEDFR_BERTSCORE_MODEL", str(tmp_path / "no-such-model"))
    bertscore.get_scorer.cache_clear()
    tm = medfr_eval.task_manager(include_defaults=False, metadata={"medfr_data": "sample"})
    generated = []

    from lm_eval.api.model import LM

    class NeverGenerates(LM):
        def loglikelihood(self, requests):  # pragma: no cover - must not be reached
            generated.append("loglikelihood")

        def loglikelihood_rolling(self, requests):  # pragma: no cover
            generated.append("rolling")

        def generate_until(self, requests):  # pragma: no cover
            generated.append("generate")

    with pytest.raises(bertscore.ScorerError) as err:
        lm_eval.evaluator.simple_evaluate(
            model=NeverGenerates(), tasks=["medfr_kqa"], task_manager=tm
        )
    message = str(err.value)
    assert "\n" not in message and not generated
    assert message.startswith("MEDFR_BERTSCORE_MODEL: the BERTScore model ")
    assert "no-such-model" in message and "MEDFR_BERTSCORE_MODEL=DIR" in message
    # the download hint names the CLI huggingface_hub installs (``hf``)
    assert "`hf download bert-base-multilingual-cased --local-dir DIR`" in message
    assert "huggingface-cli" not in message


def test_identity_records_a_local_model_by_its_resolved_folder(tmp_path, monkeypatch):
    """The same folder named relative in one run and absolute in another: one identity."""
    folder = tmp_path / "demo" / "bert"
    folder.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    identities = []
    for given in ("demo/bert", "./demo/../demo/bert", str(folder)):
        monkeypatch.setenv("MEDFR_BERTSCORE_MODEL", given)
        identities.append(bertscore.scorer_identity(bertscore.ScorerSpec.from_env()))
    assert {i["model"] for i in identities} == {str(folder.resolve())}


def test_identity_names_the_default_french_model(monkeypatch):
    monkeypatch.delenv("MEDFR_BERTSCORE_MODEL", raising=False)
    identity = bertscore.scorer_identity(bertscore.ScorerSpec.from_env())
    assert identity["model"] == "bert-base-multilingual-cased"
    assert bertscore.scorer_key(identity).startswith("bert-base-multilingual-cased|layer=")


def test_scorer_from_config_reads_what_the_filter_recorded():
    identity = {"model": "m", "num_layers": 2, "idf": False}
    assert bertscore.scorer_from_config({"metadata": {"medfr_bertscore": identity}}) == identity
    assert bertscore.scorer_from_config({"metadata": {"version": 1.0}}) is None
    assert bertscore.scorer_from_config({}) is None
