"""Both constrained rules through real lm-eval, item by item against a plain reference decoding.

``medfr`` (default) and ``authors`` (``--metadata '{"medfr_constrained_rule":
"authors"}'``) on the tiny random model and on models whose logits we choose
(:mod:`mcq_bigram`), where the rules provably part ways: an end token first,
a newline inside the answer, a separator first.
"""

from __future__ import annotations

import pytest
from mcq_bigram import build_bigram_model
from mcq_reference import decode_item

from medfr_eval.core.errors import DataError
from medfr_eval.mcq.modes import check_run
from medfr_eval.mcq.results import doc_letters, is_multi

MULTI, SINGLE = "medfr_frmedmcqa_constrained", "medfr_pubmedqa_constrained"
TABLES = {
    # the answer " A", a newline, then " C": medfr stops at the newline, the authors go on
    "newline": {"<prompt>": {" A": 5}, " A": {"\n": 5}, "\n": {" C": 5}, " C": {"</s>": 5}},
    # EOS is the model's first choice, " B" its best letter
    "eos_first": {"<prompt>": {"</s>": 5, " B": 3}, " B": {"</s>": 5}},
    # a separator is the model's first choice, then " D"
    "separator_first": {
        "<prompt>": {" ": 5, " B": 3},
        " ": {" D": 5},
        " D": {"</s>": 5},
        " B": {"</s>": 5},
    },
}


@pytest.fixture(scope="module")
def bigram_dirs(tiny_model_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("bigram_rules")
    return {
        name: build_bigram_model(tiny_model_dir, root / name, table)
        for name, table in TABLES.items()
    }


def run_rules(model_dir, tasks=(MULTI, SINGLE)):
    """One ``medfr-hf`` model, both rules; per rule lm-eval's output."""
    import lm_eval

    import medfr_eval
    from medfr_eval.mcq.model import MedfrHFLM

    lm = MedfrHFLM(pretrained=str(model_dir), device="cpu", batch_size=1, dtype="float32")
    out = {}
    for rule in ("medfr", "authors"):
        tm = medfr_eval.task_manager(
            include_defaults=False,
            metadata={"medfr_data": "sample", "medfr_constrained_rule": rule},
        )
        out[rule] = lm_eval.simple_evaluate(
            model=lm, tasks=list(tasks), task_manager=tm, log_samples=True
        )
    return lm, out


def by_item(out, task):
    return [(s["doc"], s["resps"][0][0], s["filtered_resps"][0]) for s in out["samples"][task]]


def assert_matches_reference(lm, out, rule):
    """Every item's text, letters, fallback and first-step letter probabilities as the reference."""
    for task in (MULTI, SINGLE):
        for doc, text, parsed in by_item(out, task):
            letters, multi = doc_letters(doc), is_multi(doc)
            ref = decode_item(lm.model, lm.tokenizer, doc["prompt"], letters, multi, rule)
            assert (text, parsed["letters"], parsed["fallback"]) == (
                ref.text,
                ref.letters,
                ref.fallback,
            ), (rule, task, doc["id"])
            assert parsed["letter_probs_decoding"] == pytest.approx(ref.class_probs, abs=1e-5)


def assert_matches_reference_multi(lm, out, rule):
    """The multi-answer items' texts and letters as the reference."""
    for doc, text, parsed in by_item(out, MULTI):
        ref = decode_item(lm.model, lm.tokenizer, doc["prompt"], doc_letters(doc), True, rule)
        assert (text, parsed["letters"]) == (ref.text, ref.letters), (rule, doc["id"])


def test_the_rule_reaches_the_task_config(tiny_model_dir):
    _, out = run_rules(tiny_model_dir, tasks=(MULTI,))
    ours = out["medfr"]["configs"][MULTI]["generation_kwargs"]
    theirs = out["authors"]["configs"][MULTI]["generation_kwargs"]
    assert (ours["medfr_rule"], ours["until"]) == ("medfr", ["\n"])
    assert (theirs["medfr_rule"], theirs["until"]) == ("authors", [])


def test_both_rules_match_the_reference_on_the_random_model(tiny_model_dir):
    lm, out = run_rules(tiny_model_dir)
    for rule in ("medfr", "authors"):
        assert_matches_reference(lm, out[rule], rule)


def test_newline_inside_the_answer(bigram_dirs):
    lm, out = run_rules(bigram_dirs["newline"], tasks=(MULTI,))
    for rule in ("medfr", "authors"):
        assert_matches_reference_multi(lm, out[rule], rule)
    ours, theirs = by_item(out["medfr"], MULTI), by_item(out["authors"], MULTI)
    assert [(t, p["letters"]) for _, t, p in ours] == [(" A", ["A"])] * len(ours)
    assert [(t, p["letters"]) for _, t, p in theirs] == [(" A\n C", ["A", "C"])] * len(theirs)


def test_end_token_first(bigram_dirs):
    """Multi-answer: empty (wrong) by the authors' rule, " B" by medfr's. Single: same letter."""
    lm, out = run_rules(bigram_dirs["eos_first"])
    for rule in ("medfr", "authors"):
        assert_matches_reference(lm, out[rule], rule)
    multi_ours, multi_theirs = by_item(out["medfr"], MULTI), by_item(out["authors"], MULTI)
    assert {(t, tuple(p["letters"])) for _, t, p in multi_ours} == {(" B", ("B",))}
    assert {(t, p["parse_fail"]) for _, t, p in multi_theirs} == {("", True)}
    assert out["authors"]["results"][MULTI]["emr,strict"] == 0.0
    single_ours, single_theirs = by_item(out["medfr"], SINGLE), by_item(out["authors"], SINGLE)
    assert {(t, p["fallback"]) for _, t, p in single_ours} == {(" B", False)}
    assert {(t, p["fallback"]) for _, t, p in single_theirs} == {("", True)}
    assert [p["letters"] for _, _, p in single_ours] == [p["letters"] for _, _, p in single_theirs]


def test_separator_first(bigram_dirs):
    lm, out = run_rules(bigram_dirs["separator_first"], tasks=(MULTI,))
    for rule in ("medfr", "authors"):
        assert_matches_reference_multi(lm, out[rule], rule)
    assert {(t, tuple(p["letters"])) for _, t, p in by_item(out["medfr"], MULTI)} == {
        (" B", ("B",))
    }
    assert {(t, tuple(p["letters"])) for _, t, p in by_item(out["authors"], MULTI)} == {
        ("  D", ("D",))
    }


def test_unknown_rule_is_refused_before_the_model_loads():
    with pytest.raises(DataError, match="unknown constrained rule 'theirs'"):
        check_run("medfr-hf", [MULTI], metadata={"medfr_constrained_rule": "theirs"})
