"""Every user template, the judge rubric included, renders in one capped sandbox."""

from __future__ import annotations

import tracemalloc

import pytest

from medfr_eval.cli import data_main
from medfr_eval.core.errors import DataError
from medfr_eval.data import prompts
from medfr_eval.judge import prompt
from medfr_eval.judge.check import check_judge

OVERSIZED = [
    "{{ 'a' * 50000000 }}",
    "{{ 'a'.ljust(100000000) }}",
    "{{ 'a'|center(100000000) }}",
    "{{ 'a'|indent(100000000, true) }}",
    "{{ '%0100000000d' % 1 }}",
    "{{ '%0100000000d'|format(1) }}",
    "{{ '{:>100000000}'.format(1) }}",
    "{{ ('a' * 99999).replace('a', 'b' * 99999) }}",
    "{{ ('a' * 99999)|replace('a', 'b' * 99999) }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxx{% endfor %}{% endfor %}",
    "{{ lipsum(100000) }}",
    "{{ [['a'] * 99999] * 99999 }}",
    "{% set x = ['a'] * 40000 %}{{ [x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x] }}",
]


@pytest.mark.parametrize("source", OVERSIZED)
def test_the_judge_template_is_capped(judge_env, tmp_path, source):
    (tmp_path / "judge.j2").write_text(source)
    judge_env.setenv("MEDFR_PROMPTS", str(tmp_path))
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="judge template error") as err:
            prompt.load_template().render("q", "a", "r")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000 and str(tmp_path / "judge.j2") in str(err.value)


@pytest.mark.parametrize("source", OVERSIZED)
def test_a_prompt_template_is_capped_the_same_way(tmp_path, capsys, source):
    (tmp_path / "mcq.j2").write_text(source)
    assert data_main(["show", "medqa_4opt", "--prompts", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "prompt template error" in err


def test_the_judge_and_the_prompts_share_one_sandbox_and_one_lookup(judge_env, tmp_path):
    judge_env.setenv("MEDFR_PROMPTS", str(tmp_path))
    (tmp_path / "judge.j2").write_text("Q={{ question }}")
    judge_template = prompt.load_template().template
    assert judge_template.environment is prompts.environment(str(tmp_path.resolve()))
    assert isinstance(judge_template.environment, prompts.PromptSandbox)


def test_an_ordinary_template_still_renders(judge_env, tmp_path):
    (tmp_path / "judge.j2").write_text(
        "{{ '%s / %s' % (question, reference) }} {{ '{:>5}'.format(answer) }} {{ '-' * 10 }}"
        "{% for i in range(3) %}{{ i }}{% endfor %} {{ 'x'|center(9) }}"
    )
    judge_env.setenv("MEDFR_PROMPTS", str(tmp_path))
    assert prompt.load_template().render("q", "a", "r") == "q / r     a ----------012     x"


def test_a_capped_judge_template_is_refused_before_the_model_loads(judge_env, tmp_path):
    (tmp_path / "judge.j2").write_text("{{ 'a' * 50000000 }}")
    judge_env.setenv("MEDFR_PROMPTS", str(tmp_path))
    judge_env.setenv("MEDFR_JUDGE_MODEL", "juge")
    judge_env.setenv("MEDFR_JUDGE_URL", "http://127.0.0.1:8000/v1")
    with pytest.raises(DataError, match="judge template error"):
        check_judge("medfr_openqa")
