"""``medfr study launch``: a job array of ``medfr study run --only`` tasks, then a publishing job.

The rendered scripts run here with a stub ``sbatch`` (recording its words) and, for the
array, with ``SLURM_ARRAY_TASK_ID`` set as SLURM sets it; on the tiny models the tasks and
the final job leave what ``medfr study run`` leaves.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from medfr_eval.cli import main
from medfr_eval.core.resources import samples_dir
from medfr_eval.study import Layout, launch, load_study, status
from medfr_eval.study.plan import array_task_argv, lm_eval_argv, publish_argv
from medfr_eval.study.synthetic import write_model_run

sys.path.insert(0, str(Path(__file__).parent))
from studyfiles import write_study  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the scripts need bash")

#: what a careless or hostile user puts in a path: spaces, quotes, $(), backticks, ;, globs.
HOSTILE = "r 'q' \"d\" $(touch INJ_A) `touch INJ_B`; touch INJ_C * ~"
ROOT = Path(__file__).resolve().parents[3]

SBATCH_STUB = (
    'n=$(find "$FAKE_OUT" -maxdepth 1 -name "sbatch.*" | wc -l)\n'
    'printf "%s\\0" "$@" > "$FAKE_OUT/sbatch.$n"\necho $((700 + n))\n'
)


def _stub_env(tmp_path: Path, **stubs: str) -> dict[str, str]:
    bindir, out = tmp_path / "stub-bin", tmp_path / "fake-out"
    bindir.mkdir(exist_ok=True)
    out.mkdir(exist_ok=True)
    for name, body in stubs.items():
        (bindir / name).write_text("#!/bin/bash\n" + body, encoding="utf-8")
        (bindir / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    return {**env, "PATH": f"{bindir}:{env['PATH']}", "FAKE_OUT": str(out)}


def _records(tmp_path: Path, prefix: str) -> list[list[str]]:
    out = tmp_path / "fake-out"
    files = sorted(out.glob(f"{prefix}.*"), key=lambda p: int(p.suffix[1:]))
    return [p.read_bytes().decode().split("\0")[:-1] for p in files]


def _case_lines(text: str) -> list[list[str]]:
    """The array's task commands, as bash reads them (``N) WORDS ;;`` lines of the case)."""
    tasks = []
    for line in text.splitlines():
        head, sep, rest = line.strip().partition(") ")
        if sep and head.isdigit():
            assert rest.endswith(" ;;"), line
            tasks.append(shlex.split(rest[: -len(" ;;")]))
    return tasks


def _launch(cwd: Path, study: Path, *args: str) -> int:
    """``medfr study launch`` run in ``cwd``, as a user types it there."""
    here = Path.cwd()
    os.chdir(cwd)
    try:
        return main(["study", "launch", str(study), *args])
    finally:
        os.chdir(here)


def _shellcheck(paths: list[Path], *extra: str) -> None:
    run = subprocess.run(["shellcheck", "--shell=bash", *extra, *map(str, paths)],
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stdout


@pytest.fixture()
def mini(tmp_path):
    """The tests' two-model miniature study (device: cpu), models at absolute made-up paths."""
    return write_study(tmp_path / "study", a="/m/a", b="/m/b")


def test_one_array_task_per_model_runs_what_study_run_runs_for_it(mini, tmp_path, capsys):
    rc = _launch(tmp_path, mini, "-o", "run", "--slurm", "job.sbatch", "--set",
                 "evaluation.batch_size=4", "--model-path", "model-a=weights/a")  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "2 array task(s), 0 GPU(s) each: model-a, model-b" in out
    assert "submit with: sbatch job.sbatch" in out
    text = (tmp_path / "job.eval.sbatch").read_text()
    assert "#SBATCH --array=0-1" in text.splitlines()
    assert not any(line.startswith("#SBATCH --gpus") for line in text.splitlines())  # cpu study
    study = load_study(mini, overrides=["evaluation.batch_size=4"],
                       model_paths={"model-a": "weights/a"})  # fmt: skip
    want = [array_task_argv(study, tmp_path / "run", m)[1:] for m in study.models]
    tasks = _case_lines(text)
    assert [t[1:] for t in tasks] == want
    assert Path(tasks[0][0]).name == "medfr" and Path(tasks[0][0]).is_file()
    # every script goes first to the folder the launch ran in (relative --model-path there)
    for name in ("job.eval.sbatch", "job.publish.sbatch", "job.sbatch"):
        assert f"\ncd {shlex.quote(str(tmp_path))}\n" in (tmp_path / name).read_text()
    final = (tmp_path / "job.publish.sbatch").read_text().rstrip().splitlines()[-1]
    assert shlex.split(final)[1:] == publish_argv(study, tmp_path / "run")[1:]


def test_the_submitter_submits_the_array_then_the_final_job_after_it(mini, tmp_path):
    run_dir = tmp_path / f"runs {HOSTILE}"
    assert _launch(tmp_path, mini, "-o", str(run_dir), "--slurm", "study.sbatch",
                   "--partition", "gpu", "--account", "lab") == 0  # fmt: skip
    env = _stub_env(tmp_path, sbatch=SBATCH_STUB)
    for how in (["bash"], ["sbatch"]):  # in a login shell, or through the (stub) sbatch itself
        shutil.rmtree(tmp_path / "fake-out")
        (tmp_path / "fake-out").mkdir()
        cmd = [*how, "study.sbatch"]
        run = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        records = _records(tmp_path, "sbatch")
        if how == ["sbatch"]:  # the stub recorded that submission first; run what it got
            assert records == [["study.sbatch"]]
            run = subprocess.run(["bash", "study.sbatch"], cwd=tmp_path, env=env,
                                 capture_output=True, text=True)  # fmt: skip
            assert run.returncode == 0, run.stderr
            records = _records(tmp_path, "sbatch")[1:]
        logs = run_dir / "logs" / "slurm"
        assert records[0] == ["--parsable", f"--output={logs}/%x-%A_%a.out",
                              str(tmp_path / "study.eval.sbatch")]  # fmt: skip
        job = int(run.stdout.split("evaluation (job array): job ")[1].split()[0])
        assert records[1] == ["--parsable", f"--output={logs}/%x-%j.out", "--kill-on-invalid-dep=yes",
                              f"--dependency=afterok:{job}", str(tmp_path / "study.publish.sbatch")]  # fmt: skip
        assert logs.is_dir()
    head = (tmp_path / "study.sbatch").read_text().splitlines()
    assert "#SBATCH --partition=gpu" in head and "#SBATCH --account=lab" in head
    assert "#SBATCH --time=00:10:00" in head  # a short job of its own
    assert not list(tmp_path.rglob("INJ_*"))


def test_the_scripts_pass_shellcheck_with_plain_and_hostile_values(tmp_path):
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed")
    plain = tmp_path / "plain"
    study = write_study(plain / "study", a="/m/a", b="/m/b")
    assert _launch(plain, study, "-o", "run", "--slurm", "job.sbatch", "--time", "1:00:00",
                   "--array-parallel", "1", "--sbatch=--constraint=h100") == 0  # fmt: skip
    _shellcheck([plain / n for n in ("job.sbatch", "job.eval.sbatch", "job.publish.sbatch")])
    # With hostile values, shellcheck only notes (SC2016) that `$(...)` inside single quotes
    # does not expand: that is the quoting at work, the value staying data.
    hostile = tmp_path / f"h {HOSTILE}"
    study = write_study(hostile / f"study {HOSTILE}", a=f"/m/{HOSTILE}", b="/m/b")
    shutil.copytree(samples_dir(), hostile / HOSTILE)  # the data folder of --set evaluation.data
    args = ["-o", f"run {HOSTILE}", "--slurm", f"job {HOSTILE}.sbatch",
            "--set", f"evaluation.data={HOSTILE}", "--model-path", f"model-b=w {HOSTILE}"]  # fmt: skip
    assert _launch(hostile, study, *args) == 0
    scripts = sorted(hostile.glob("job *.sbatch"))
    assert len(scripts) == 3
    _shellcheck(scripts, "--exclude=SC2016")
    # the words reach the command whole: a stub medfr records what the array task gets
    text = next(p for p in scripts if p.name.endswith(".eval.sbatch")).read_text()
    medfr = _case_lines(text)[1][0]
    stub = tmp_path / "stub medfr"
    stub.write_text('#!/bin/bash\nprintf "%s\\0" "$@" > "$FAKE_OUT/medfr.0"\n')
    stub.chmod(0o755)
    env = _stub_env(tmp_path)
    task = next(p for p in scripts if p.name.endswith(".eval.sbatch"))
    task.write_text(text.replace(shlex.quote(medfr), shlex.quote(str(stub))))
    run = subprocess.run(["bash", str(task)], cwd=tmp_path, capture_output=True, text=True,
                         env={**env, "SLURM_ARRAY_TASK_ID": "1"})  # fmt: skip
    assert run.returncode == 0, run.stderr
    got = _records(tmp_path, "medfr")[0]
    assert got[got.index("-o") + 1] == str(hostile / f"run {HOSTILE}")
    assert got[got.index("--set") + 1] == f"evaluation.data={HOSTILE}"
    assert got[got.index("--model-path") + 1] == f"model-b=w {HOSTILE}"
    assert got[got.index("--only") + 1] == "model-b"
    assert not list(tmp_path.rglob("INJ_*"))


def test_gpus_per_task_follow_the_studys_engine_and_parallel_sizes(mini, tmp_path):
    vllm = ["--set", "evaluation.device=cuda", "--set", "evaluation.backend=vllm",
            "--set", "evaluation.tensor_parallel=2", "--set", "evaluation.data_parallel=2"]  # fmt: skip
    assert _launch(tmp_path, mini, "-o", "run", "--slurm", "v.sbatch", *vllm) == 0
    text = (tmp_path / "v.eval.sbatch").read_text()
    assert "#SBATCH --gpus-per-node=4" in text.splitlines()
    assert "4 GPU(s) per model (vllm: vLLM, tensor_parallel 2 x data_parallel 2)" in text
    # the task's own command line builds lm-eval's --model vllm with the study's sizes
    words = _case_lines(text)[0]
    overrides = [words[i + 1] for i, w in enumerate(words) if w == "--set"]
    study = load_study(mini, overrides=overrides)
    argv = lm_eval_argv(study, study.model("model-a"), tmp_path / "o", tmp_path / "c")
    assert argv[argv.index("--model") + 1] == "vllm"
    assert "tensor_parallel_size=2,data_parallel_size=2" in argv[argv.index("--model_args") + 1]
    hf = ["--set", "evaluation.device=cuda", "--set", "evaluation.data_parallel=2"]
    assert _launch(tmp_path, mini, "-o", "run", "--slurm", "h.sbatch", "--gres", *hf) == 0
    text = (tmp_path / "h.eval.sbatch").read_text()
    assert "#SBATCH --gres=gpu:2" in text.splitlines()
    assert "accelerate launch -m lm_eval, 2 processes" in text
    study = load_study(mini, overrides=["evaluation.device=cuda", "evaluation.data_parallel=2"])
    argv = lm_eval_argv(study, study.model("model-a"), tmp_path / "o", tmp_path / "c")
    assert argv[1:4] == ["-m", "accelerate.commands.launch", "--num_processes"]


def test_models_already_done_get_no_task(mini, tmp_path, capsys):
    study = load_study(mini)
    lay = Layout(tmp_path / "run")
    rng = np.random.default_rng(0)
    values = {t: list((rng.uniform(size=8) < 0.5).astype(float)) for t in study.leaves}
    write_model_run(lay.model_dir(study.model("model-a")), study, study.model("model-a"), values)
    assert status(study, lay, study.model("model-a")).done
    assert _launch(tmp_path, mini, "-o", "run", "--slurm", "j.sbatch") == 0
    assert "model-a: done, no array task" in capsys.readouterr().out
    assert [
        t[t.index("--only") + 1] for t in _case_lines((tmp_path / "j.eval.sbatch").read_text())
    ] == ["model-b"]
    write_model_run(lay.model_dir(study.model("model-b")), study, study.model("model-b"), values)
    (tmp_path / "j.eval.sbatch").unlink()
    assert _launch(tmp_path, mini, "-o", "run", "--slurm", "j.sbatch") == 0
    assert not (tmp_path / "j.eval.sbatch").exists()  # nothing to evaluate: publishing only
    env = _stub_env(tmp_path, sbatch=SBATCH_STUB)
    run = subprocess.run(
        ["bash", "j.sbatch"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    (publish,) = _records(tmp_path, "sbatch")
    assert publish[-1] == str(tmp_path / "j.publish.sbatch")
    assert not any(w.startswith("--dependency") for w in publish)


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["--only", "model-z"], "--only model-z: not a model of the study"),
        (["--set", "evaluation.batch_size=4\n"], "--set: "),
        (["-o", "run\ntouch X"], "-o: "),
        (["--log-dir", "logs\nx"], "--log-dir: "),
        (["--set", "evaluation.nope=1"], "--set evaluation.nope: unknown key"),
        (["--sbatch", "--constraint=a b"], "--sbatch: "),
        (["--partition", "gpu;x"], "--partition: "),
    ],
)
def test_bad_input_is_one_line_and_nothing_is_written(mini, tmp_path, capsys, args, where):
    folder = tmp_path / "here"
    folder.mkdir()
    run_dir = [] if "-o" in args else ["-o", "run"]
    assert _launch(folder, mini, "--slurm", "job.sbatch", *run_dir, *args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and where in err[0], err
    assert list(folder.iterdir()) == []


def test_a_missing_study_is_one_line_and_nothing_is_written(tmp_path, capsys):
    assert _launch(tmp_path, tmp_path / "nope.yaml", "-o", "run", "--slurm", "job.sbatch") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such study file" in err[0]
    assert list(tmp_path.iterdir()) == []


def test_the_readmes_three_commands_render_and_submit(tmp_path, capsys):
    """The README's cluster commands: after install and fetch (a folder of the sets here),
    the launch line runs as written, and its ``sbatch study.sbatch`` submits the jobs."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(x for x in readme.splitlines() if x.startswith("medfr study launch "))
    command, _, comment = line.partition("#")
    assert "[needs: SLURM]" in comment
    launch_part, submit_part = command.strip().split(" && ")
    assert submit_part == "sbatch study.sbatch"
    shutil.copytree(samples_dir(), tmp_path / "medfr-data")  # what step 2 leaves, in miniature
    assert _launch(tmp_path, *shlex.split(launch_part)[3:]) == 0, capsys.readouterr().err
    text = (tmp_path / "study.eval.sbatch").read_text()
    assert len(_case_lines(text)) == 11 and "#SBATCH --gpus-per-node=1" in text.splitlines()
    env = _stub_env(tmp_path, sbatch=SBATCH_STUB)
    run = subprocess.run(
        ["bash", "study.sbatch"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert len(_records(tmp_path, "sbatch")) == 2


def _tree(root: Path) -> list[str]:
    """Relative paths, lm-eval's time stamps in file names set aside."""
    import re

    names = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and "cache" not in p.relative_to(root).parts:
            names.append(re.sub(r"\d{4}-\d{2}-\d{2}T[\d\-.]+", "T", str(p.relative_to(root))))
    return sorted(names)


@pytest.mark.slow
def test_tasks_and_final_job_leave_what_study_run_leaves_on_tiny_models(
    tmp_path, tiny_model_dir, tiny_bert_dir, capsys
):
    models = {}
    for name in ("a", "b"):
        models[name] = tmp_path / "models" / name
        shutil.copytree(tiny_model_dir, models[name])
    path = write_study(tmp_path / "s", a=str(models["a"]), b=str(models["b"]),
                       bert=str(tiny_bert_dir))  # fmt: skip
    ref, launched = tmp_path / "by-run", tmp_path / "by-launch"
    assert main(["study", "run", str(path), "-o", str(ref)]) == 0, capsys.readouterr().err
    assert _launch(tmp_path, path, "-o", str(launched), "--slurm", "job.sbatch") == 0
    text = (tmp_path / "job.eval.sbatch").read_text()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    for i in range(len(_case_lines(text))):  # each task as SLURM runs it: the script, its id
        run = subprocess.run(["bash", "job.eval.sbatch"], cwd=tmp_path, capture_output=True,
                             text=True, env={**env, "SLURM_ARRAY_TASK_ID": str(i)})  # fmt: skip
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    run = subprocess.run(["bash", "job.publish.sbatch"], cwd=tmp_path, capture_output=True,
                         text=True, env=env)  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert _tree(launched) == _tree(ref)
    study = load_study(path)
    for m in study.models:
        a, b = status(study, Layout(ref), m), status(study, Layout(launched), m)
        assert a.done and b.done
        for task in study.leaves:
            assert np.array_equal(a.scores[task][1], b.scores[task][1]), (m.name, task)
    sig = [json.loads((r / "signif" / "signif.json").read_text()) for r in (ref, launched)]
    assert sig[0]["comparisons"] == sig[1]["comparisons"] and sig[0]["comparisons"]
    cmp = [json.loads((r / "compare" / "compare.json").read_text()) for r in (ref, launched)]
    assert cmp[0]["rows"] == cmp[1]["rows"] and cmp[0]["rows"]


def test_script_names_sit_beside_the_submitter():
    paths = launch.script_paths(Path("/x/study.sbatch"))
    assert paths == {"submit": Path("/x/study.sbatch"), "eval": Path("/x/study.eval.sbatch"),
                     "publish": Path("/x/study.publish.sbatch")}  # fmt: skip
