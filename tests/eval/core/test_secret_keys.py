"""Which field names are secret-bearing, and records with their values redacted (no torch)."""

from __future__ import annotations

import pytest

from medfr_eval.core.secret_keys import REDACTED, is_secret_key, redact_secrets, secret_paths


@pytest.mark.parametrize(
    "name",
    [
        "hub_token",
        "HUB_TOKEN",
        "push_to_hub_token",
        "token",
        "apiKey",
        "api_key",
        "X-Api-Key",
        "openai_apikey",
        "password",
        "db_passwd",
        "client_secret",
        "aws_secret_access_key",
        "credentials",
        "MEDFR_JUDGE_API_KEY",
        "Authorization",
        "accesstoken",
    ],
)
def test_secret_bearing_names(name):
    assert is_secret_key(name)


@pytest.mark.parametrize(
    "name",
    [
        "tokens_seen",  # a count the run card reports
        "include_num_input_tokens_seen",
        "average_tokens_across_devices",
        "pad_token",  # tokenizer settings, needed to reproduce a run
        "eos_token",
        "eos_token_id",
        "keyboard_layout",
        "model_name_or_path",
        "monkey",
        "num_key_value_heads",  # a model config field
        "max_new_tokens",
        "sort_keys",
        3,
    ],
)
def test_names_that_carry_no_secret(name):
    assert not is_secret_key(name)


def test_redaction_walks_mappings_and_lists_and_keeps_nulls():
    record = {
        "recipe": {"stages": {"cpt": {"hub_token": "hf_abc", "learning_rate": 2e-5}}},
        "runs": [{"api_key": "sk-1", "name": "a"}, {"api_key": None}],
        "tokens_seen": 1024,
    }
    clean = redact_secrets(record)
    assert clean["recipe"]["stages"]["cpt"] == {"hub_token": REDACTED, "learning_rate": 2e-5}
    assert clean["runs"] == [{"api_key": REDACTED, "name": "a"}, {"api_key": None}]
    assert clean["tokens_seen"] == 1024
    assert record["runs"][0]["api_key"] == "sk-1"  # the input is not changed
    assert secret_paths(record) == ["recipe.stages.cpt.hub_token", "runs[0].api_key"]
    assert secret_paths(clean) == []
