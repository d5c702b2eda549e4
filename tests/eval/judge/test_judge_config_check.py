"""Bad judge settings stop ``lm_eval`` before the model loads, in one line with exit 2."""

from __future__ import annotations

import pytest
from lmeval_run import lm_eval_cli

from medfr_eval.core.errors import DataError
from medfr_eval.judge.check import check_judge

KEY = "sk-KEYSECRET99"


CASES = [
    ({"MEDFR_JUDGE_TIMEOUT": "nan"}, "MEDFR_JUDGE_TIMEOUT: expected a finite number"),
    ({"MEDFR_JUDGE_TIMEOUT": "inf"}, "MEDFR_JUDGE_TIMEOUT: expected a finite number"),
    ({"MEDFR_JUDGE_URL": "http://127.0.0.1:99999/v1"}, "MEDFR_JUDGE_URL: the port"),
    ({"MEDFR_JUDGE_URL": "http://127.0.0.1:abc/v1"}, "MEDFR_JUDGE_URL: the port"),
    ({"MEDFR_JUDGE_API_KEY": KEY + "\r\nX-Injected: 1"}, "MEDFR_JUDGE_API_KEY: holds a"),
    ({"MEDFR_JUDGE_CACHE": "{tmp}"}, "MEDFR_JUDGE_CACHE: is a folder"),
]


def _configure(judge_env, tmp_path, env: dict[str, str]) -> None:
    judge_env.setenv("MEDFR_JUDGE_MODEL", "juge")
    judge_env.setenv("MEDFR_JUDGE_URL", "http://127.0.0.1:8000/v1")
    for name, value in env.items():
        judge_env.setenv(name, value.replace("{tmp}", str(tmp_path)))


@pytest.mark.parametrize(("env", "needle"), CASES)
def test_a_bad_judge_setting_is_one_error_naming_it(judge_env, tmp_path, env, needle):
    _configure(judge_env, tmp_path, env)
    with pytest.raises(DataError) as err:
        check_judge(["medfr_openqa"])
    assert needle in str(err.value) and "\n" not in str(err.value)
    assert KEY not in str(err.value)


@pytest.mark.slow
def test_lm_eval_stops_in_one_line_before_the_model_loads(judge_env, tiny_model_dir, tmp_path):
    env, needle = CASES[4]  # the key with CR LF: also shows it is never printed
    _configure(judge_env, tmp_path, env)
    judge_env.setenv("MEDFR_DATA", "sample")
    out = lm_eval_cli(tiny_model_dir, "medfr_kqa", "--limit", "1")
    assert out.returncode == 2, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and needle in errors[0], out.stderr[-2000:]
    assert KEY not in out.stderr + out.stdout


def test_nothing_is_checked_when_no_judged_set_is_asked_for(judge_env):
    judge_env.setenv("MEDFR_JUDGE_MODEL", "juge")
    judge_env.setenv("MEDFR_JUDGE_TIMEOUT", "nan")
    assert check_judge(["medfr_medqa_4opt", "medfr_mcq_translated"]) is None
    with pytest.raises(DataError, match="MEDFR_JUDGE_TIMEOUT"):
        check_judge(["medfr_medqa_4opt", "medfr_frclinicalqa"])


def test_a_good_configuration_passes_without_a_request(judge_env, tmp_path):
    judge_env.setenv("MEDFR_JUDGE_MODEL", "juge")
    judge_env.setenv("MEDFR_JUDGE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    config = check_judge("medfr_kqa")
    assert config is not None and config.endpoint == "http://127.0.0.1:9/v1"
    assert (tmp_path / "verdicts.sqlite3").is_file()  # the cache opened (judge_env points here)
