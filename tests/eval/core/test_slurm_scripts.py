"""The shared script renderer (medfr_eval.core.slurm): job arrays, submit chains, quoting discipline."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from medfr_eval.core.errors import LaunchError
from medfr_eval.core.slurm import (
    BatchScript,
    Step,
    Submission,
    Var,
    environment,
    render_batch,
    render_submit,
)

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the scripts need bash")

HOSTILE = "x 'q' \"d\" $(touch INJ_A) `touch INJ_B`; touch INJ_C | * ~"


def _stub(tmp_path: Path, name: str, body: str) -> dict[str, str]:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    (bindir / name).write_text("#!/bin/bash\n" + body, encoding="utf-8")
    (bindir / name).chmod(0o755)
    return {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "OUT": str(tmp_path)}


def test_a_value_that_skips_the_quoting_filters_is_refused():
    """The autoescape-like rule: every {{ }} output must come from a quoting filter."""
    with pytest.raises(TypeError, match="without a quoting filter"):
        environment().from_string("echo {{ value }}\n").render(value="$(touch X)")
    assert (
        environment().from_string("echo {{ value | shell_quote }}\n").render(value="$(touch X)")
        == "echo '$(touch X)'\n"
    )


def test_a_job_array_runs_the_command_of_its_task_with_values_intact(tmp_path):
    script = BatchScript(
        directives=["--job-name=eval", "--gpus-per-node=1"],
        comments=["one lm-eval run per task"],
        env={"MEDFR_DATA": HOSTILE},
        steps=[Step(["mkdir", "-p", str(tmp_path / "runs")], ["before every task"])],
        array=[["record", f"task {i}", HOSTILE, Var("MEDFR_DATA")] for i in range(3)],
        array_parallel=2,
    )
    text = render_batch(script)
    assert "#SBATCH --array=0-2%2" in text.splitlines()
    path = tmp_path / "eval.sbatch"
    path.write_text(text, encoding="utf-8")
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0
    env = _stub(tmp_path, "record", 'printf "%s\\0" "$@" > "$OUT/got"\n')
    run = subprocess.run(["bash", str(path)], env={**env, "SLURM_ARRAY_TASK_ID": "1"}, cwd=tmp_path)
    assert run.returncode == 0
    assert (tmp_path / "got").read_bytes().decode().split("\0")[:-1] == [
        "task 1",
        HOSTILE,
        HOSTILE,
    ]
    outside = subprocess.run(
        ["bash", str(path)],
        env={**env, "SLURM_ARRAY_TASK_ID": "9"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert outside.returncode == 2 and "no task 9" in outside.stderr
    assert not list(tmp_path.rglob("INJ_*"))


def test_a_submit_chain_waits_afterok_and_quotes_the_scripts(tmp_path):
    eval_script, report = tmp_path / f"eval {HOSTILE}.sbatch", tmp_path / "report.sbatch"
    text = render_submit(
        [
            Submission("JOB_EVAL", eval_script, "eval", ["12", "13_4"]),
            Submission("JOB_REPORT", report, f"report {HOSTILE}", [Var("JOB_EVAL")]),
        ],
        ["submit the study"],
    )
    path = tmp_path / "submit.sh"
    path.write_text(text, encoding="utf-8")
    env = _stub(
        tmp_path,
        "sbatch",
        'n=$(find "$OUT" -maxdepth 1 -name "args.*" | wc -l)\n'
        'printf "%s\\0" "$@" > "$OUT/args.$n"\necho $((500 + n))\n',
    )
    run = subprocess.run(["bash", str(path)], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["eval: job 500", f"report {HOSTILE}: job 501"]
    got = [(tmp_path / f"args.{i}").read_bytes().decode().split("\0")[:-1] for i in range(2)]
    assert got[0] == ["--parsable", "--dependency=afterok:12:13_4", str(eval_script)]
    assert got[1] == ["--parsable", "--dependency=afterok:500", str(report)]
    assert not list(tmp_path.rglob("INJ_*"))


def test_a_submitter_with_a_head_is_a_job_of_its_own_and_one_without_is_a_plain_script(tmp_path):
    """Both users of submit.sh.j2: the training chain (no head: no #SBATCH line, only the
    submissions) and the study's submitter (#SBATCH lines, steps first, quoted options)."""
    jobs = [
        Submission(
            "JOB_EVAL", tmp_path / "eval.sbatch", "eval", [], [f"--output={HOSTILE}/%x.out"]
        ),
        Submission("JOB_REPORT", tmp_path / "report.sbatch", "report", [Var("JOB_EVAL")]),
    ]
    plain = render_submit(jobs, ["the training chain"])
    assert not [line for line in plain.splitlines() if line.startswith("#SBATCH")]
    head = BatchScript(
        directives=["--job-name=submit", "--time=00:10:00"],
        steps=[Step(["mkdir", "-p", str(tmp_path / f"logs {HOSTILE}")], ["logs"])],
    )
    headed = render_submit(jobs, ["the study"], head=head)
    lines = headed.splitlines()
    assert lines[:4] == ["#!/bin/bash", "# the study", "#SBATCH --job-name=submit",
                         "#SBATCH --time=00:10:00"]  # fmt: skip
    assert lines.index("mkdir -p " + shlex.quote(str(tmp_path / f"logs {HOSTILE}"))) < next(
        i for i, line in enumerate(lines) if line.startswith("JOB_EVAL=")
    )
    env = _stub(
        tmp_path,
        "sbatch",
        'n=$(find "$OUT" -maxdepth 1 -name "args.*" | wc -l)\n'
        'printf "%s\\0" "$@" > "$OUT/args.$n"\necho $((500 + n))\n',
    )
    for name, text in (("plain.sh", plain), ("headed.sh", headed)):
        for old in tmp_path.glob("args.*"):
            old.unlink()
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        run = subprocess.run(
            ["bash", str(path)], env=env, cwd=tmp_path, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        got = [(tmp_path / f"args.{i}").read_bytes().decode().split("\0")[:-1] for i in range(2)]
        assert got[0] == ["--parsable", f"--output={HOSTILE}/%x.out", str(tmp_path / "eval.sbatch")]
        assert got[1] == ["--parsable", "--dependency=afterok:500", str(tmp_path / "report.sbatch")]
        if shutil.which("shellcheck"):
            check = subprocess.run(["shellcheck", "--shell=bash", "--exclude=SC2016", str(path)],
                                   capture_output=True, text=True)  # fmt: skip
            assert check.returncode == 0, check.stdout
    assert (tmp_path / f"logs {HOSTILE}").is_dir()
    assert not list(tmp_path.rglob("INJ_*"))
    with pytest.raises(LaunchError, match="no job array"):
        render_submit(jobs, head=BatchScript(array=[["x"]]))


@pytest.mark.parametrize(
    "make",
    [
        lambda: render_batch(BatchScript(env={"A B": "x"})),
        lambda: render_batch(BatchScript(comments=["one\ntouch X"])),
        lambda: render_batch(BatchScript(directives=["--job-name=a b"])),
        lambda: render_batch(BatchScript(steps=[Step(["echo", "a\nb"])])),
        lambda: render_submit([Submission("JOB", "s.sbatch", "s", ["1; touch X"])]),
        lambda: Var("X; touch Y"),
    ],
)
def test_what_a_script_cannot_hold_is_refused(make):
    with pytest.raises(LaunchError):
        make()
