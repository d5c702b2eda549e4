"""Verdict parsing and the sandboxed judge template."""

from __future__ import annotations

import pytest

from medfr_eval.core.errors import DataError
from medfr_eval.judge import prompt
from medfr_eval.judge.verdict import OK, UNPARSABLE, make_verdict, parse_verdict


@pytest.mark.parametrize(
    ("raw", "score"),
    [("1", 1), ("0", 0), (" 1\n", 1), ("0.", 0), ("Oui", 1), ("non", 0), ("«1»", 1)],
)
def test_accepted_verdicts(raw, score):
    assert parse_verdict(raw) == score


@pytest.mark.parametrize("raw", ["", "10", "2", "Peut-être", "1 0", "yes", None, "La"])
def test_anything_else_is_unparsable_not_zero(raw):
    assert parse_verdict(raw) is None
    verdict = make_verdict(raw)
    assert verdict.score is None and verdict.status == UNPARSABLE
    assert verdict.raw == ("" if raw is None else raw)


def test_status_of_a_parsed_verdict():
    assert make_verdict("1").status == OK


def test_shipped_template_renders_the_rubric(judge_env):
    tpl = prompt.load_template()
    text = tpl.render("Quel organe sécrète l'insuline ?", "Le pancréas.", "Le pancréas endocrine.")
    assert "Le pancréas endocrine." in text and "Le pancréas." in text
    assert "Cas clinique" not in text
    assert text.rstrip().endswith("Verdict :")
    with_case = tpl.render("Diagnostic ?", "IDM", "Infarctus", context="Homme, 62 ans.")
    assert "Cas clinique : Homme, 62 ans." in with_case
    assert len(tpl.sha256) == 64


def test_user_template_swaps_in_and_changes_the_hash(judge_env, tmp_path):
    ours = prompt.load_template()
    (tmp_path / "judge.j2").write_text("Q={{ question }} A={{ answer }} R={{ reference }}")
    judge_env.setenv("MEDFR_PROMPTS", str(tmp_path))
    theirs = prompt.load_template()
    assert theirs.render("q", "a", "r") == "Q=q A=a R=r"
    assert theirs.sha256 != ours.sha256


def test_folder_without_judge_template_falls_back_to_ours(judge_env, tmp_path):
    judge_env.setenv("MEDFR_PROMPTS", str(tmp_path))
    assert prompt.load_template().path.endswith("tasks/prompts/judge.j2")


def test_user_template_runs_in_the_sandbox(judge_env, tmp_path):
    (tmp_path / "judge.j2").write_text("{{ question.__class__.__mro__[1].__subclasses__() }}")
    judge_env.setenv("MEDFR_PROMPTS", str(tmp_path))
    with pytest.raises(DataError, match="judge template error"):
        prompt.load_template().render("q", "a", "r")


def test_undefined_variable_and_syntax_errors_name_the_file(judge_env, tmp_path):
    judge_env.setenv("MEDFR_PROMPTS", str(tmp_path))
    (tmp_path / "judge.j2").write_text("{{ typo }}")
    with pytest.raises(DataError, match="judge.j2"):
        prompt.load_template().render("q", "a", "r")
    (tmp_path / "judge.j2").write_text("line one\n{% if %}")
    with pytest.raises(DataError) as err:
        prompt.load_template()
    assert err.value.line == 2 and "judge.j2" in str(err.value)
