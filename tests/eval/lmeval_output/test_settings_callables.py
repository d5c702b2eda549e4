"""A callable in a logged task config differs between runs only by its address: not a setting."""

from __future__ import annotations

from medfr_eval.lmeval_output.settings import settings_mismatch


def test_function_addresses_are_not_a_settings_difference():
    a = {"fewshot_config.doc_to_choice": "<function multi_answer_choices at 0x7f89e3847100>"}
    b = {"fewshot_config.doc_to_choice": "<function multi_answer_choices at 0x7f967ee4b100>"}
    assert settings_mismatch(a, b) == []
    c = {"fewshot_config.doc_to_choice": "<function other_choices at 0x7f967ee4b100>"}
    assert settings_mismatch(a, c)  # another function is still a difference
