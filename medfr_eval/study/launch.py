"""``medfr study launch``: a study as SLURM jobs, one array task per model, then publishing.

Three scripts, rendered from the shared templates of :mod:`medfr_eval.core.slurm`, beside the
file named by ``--slurm`` (``study.sbatch``):

* ``study.eval.sbatch``: a job array, one task per model not done yet, each on its own
  GPUs (the study's ``tensor_parallel`` x ``data_parallel``, none for ``device: cpu``),
  running what ``medfr study run`` runs for that one model: ``medfr study run STUDY -o RUN
  --only NAME`` with the same ``--set`` / ``--model-path`` values (:func:`.plan.array_task_argv`).
  That command builds the model's lm-eval call itself (``--model vllm`` with its parallel
  sizes, or ``accelerate launch -m lm_eval`` for data-parallel ``hf``), resumes from
  lm-eval's cache, and moves a model's folder in only when it is complete.
* ``study.publish.sbatch``: the final job, ``medfr study publish`` (signif, the comparison
  with the paper, the board), which is what ``medfr study run`` does after its evaluations.
* ``study.sbatch``: the submitter. It submits the array, then the final job with
  ``--dependency=afterok:<array job id>``. It carries ``#SBATCH`` lines for a one-minute job,
  so ``sbatch study.sbatch`` works, and ``bash study.sbatch`` does the same from a login
  node (for clusters that refuse submissions from inside a job).

Every script first goes to the folder the launch ran in, so relative paths of the command
line (``--set evaluation.data=medfr-data/``) mean what they meant there. Nothing is
submitted here; the scripts are written only once everything was checked and rendered.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from medfr_eval.cli import command_path
from medfr_eval.core.errors import LaunchError
from medfr_eval.core.fileio import write_text_atomic
from medfr_eval.core.slurm import (
    BatchScript,
    Step,
    Submission,
    Var,
    check_value,
    render_batch,
    render_submit,
    sbatch_option,
)

from .plan import Layout, array_task_argv, publish_argv, status
from .run import select
from .spec import VLLM_BACKENDS, Study, StudyModel

#: The submitter's own job: a few sbatch calls.
SUBMIT_TIME = "00:10:00"


@dataclass
class SlurmSettings:
    """``#SBATCH`` settings of the jobs; ``None`` leaves a setting to the cluster's defaults."""

    partition: str | None = None
    account: str | None = None
    time: str | None = None  # each array task's
    cpus_per_task: int | None = None
    mem: str | None = None
    gres: bool = False  # ask GPUs as --gres=gpu:G rather than --gpus-per-node=G
    array_parallel: int | None = None  # at most this many tasks at a time
    extra: list[str] = field(default_factory=list)  # more #SBATCH lines of the array
    publish_partition: str | None = None  # the submitter's and the final job's (default: partition)
    publish_time: str | None = None
    log_dir: Path | None = None  # default RUN/logs/slurm


@dataclass
class Scripts:
    """The rendered scripts, by role, and what the array holds."""

    submit: tuple[Path, str]
    eval: tuple[Path, str] | None  # None: every model is done, only publishing is left
    publish: tuple[Path, str]
    tasks: list[StudyModel]
    done: list[StudyModel]
    gpus: int

    def files(self) -> list[tuple[Path, str]]:
        return [f for f in (self.eval, self.publish, self.submit) if f is not None]


def script_paths(slurm: Path) -> dict[str, Path]:
    """``study.sbatch`` -> the submitter there, ``study.eval.sbatch``, ``study.publish.sbatch``."""
    suffix = slurm.suffix or ".sbatch"
    return {
        "submit": slurm,
        "eval": slurm.with_name(f"{slurm.stem}.eval{suffix}"),
        "publish": slurm.with_name(f"{slurm.stem}.publish{suffix}"),
    }


def gpus_per_model(study: Study) -> int:
    """GPUs one model's evaluation holds: none on ``device: cpu``, else tensor x data parallel."""
    ev = study.evaluation
    if ev.device is not None and ev.device.split(":")[0] == "cpu":
        return 0
    return ev.gpus


def medfr_program() -> str:
    """The ``medfr`` of the environment rendering the scripts, by its full path.

    Why not the bare name: a cluster that starts jobs with a clean environment
    (``--export=NONE``) has no virtual environment on PATH; the script's own path still
    runs that environment's interpreter."""
    beside = Path(sys.executable).with_name("medfr")
    if beside.is_file():
        return str(beside)
    return shutil.which("medfr") or "medfr"


def _check_values(study: Study, run_dir: Path, slurm: Path, opts: SlurmSettings) -> None:
    """Every user value that lands in a script, named by the flag it came from."""
    check_value(study.path, "STUDY")
    check_value(run_dir, "-o")
    check_value(slurm, "--slurm")
    if opts.log_dir is not None:
        check_value(opts.log_dir, "--log-dir")
    for text in study.overrides:
        check_value(text, "--set")
    for name, path in study.model_paths:
        check_value(f"{name}={path}", "--model-path")
    check_value(Path.cwd(), "the current folder")


def _option(flag: str, value: object) -> list[str]:
    if value is None:
        return []
    return [str(sbatch_option(f"{flag}={value}", field=flag))]


def eval_directives(study: Study, opts: SlurmSettings, gpus: int) -> list[str]:
    """The array's ``#SBATCH`` lines (its ``--array`` is added by :class:`BatchScript`)."""
    out = [str(sbatch_option(f"--job-name=medfr-study-{study.name}", field="--job-name"))]
    out += ["--nodes=1", "--ntasks=1"]
    if gpus:
        out.append(f"--gres=gpu:{gpus}" if opts.gres else f"--gpus-per-node={gpus}")
    for flag, value in (("--cpus-per-task", opts.cpus_per_task), ("--mem", opts.mem),
                        ("--time", opts.time), ("--partition", opts.partition),
                        ("--account", opts.account)):  # fmt: skip
        out += _option(flag, value)
    return out + [str(sbatch_option(o, field="--sbatch")) for o in opts.extra]


def _cpu_directives(study: Study, opts: SlurmSettings, role: str, time: str | None) -> list[str]:
    name = f"--job-name=medfr-study-{study.name}-{role}"
    out = [str(sbatch_option(name, field="--job-name")), "--nodes=1", "--ntasks=1"]
    out += _option("--time", time)
    out += _option("--partition", opts.publish_partition or opts.partition)
    return out + _option("--account", opts.account)


def _engine(study: Study, gpus: int) -> str:
    ev = study.evaluation
    if ev.backend in VLLM_BACKENDS:
        how = f"vLLM, tensor_parallel {ev.tensor_parallel} x data_parallel {ev.data_parallel}"
    elif ev.data_parallel > 1:
        how = f"accelerate launch -m lm_eval, {ev.data_parallel} processes"
    else:
        how = "one lm-eval process"
    return f"{gpus} GPU(s) per model ({ev.backend}: {how})"


def plan_models(study: Study, run_dir: Path, only: Sequence[str]) -> tuple[list, list]:
    """The models to evaluate (those asked, ``--only``) split into not done and done.

    A model already done in the run folder gets no task: a relaunch after a failure
    holds GPUs only for what is left."""
    layout = Layout(run_dir)
    todo, done = [], []
    for m in select(study, only):
        (done if status(study, layout, m).done else todo).append(m)
    return todo, done


def render_scripts(
    study: Study, run_dir: Path, slurm: Path, opts: SlurmSettings, only: Sequence[str] = ()
) -> Scripts:
    """The three scripts (module docstring), checked and rendered; nothing written."""
    run_dir, slurm = run_dir.resolve(), slurm.resolve()
    _check_values(study, run_dir, slurm, opts)
    todo, done = plan_models(study, run_dir, only)
    paths = script_paths(slurm)
    log_dir = (opts.log_dir or run_dir / "logs" / "slurm").resolve()
    gpus = gpus_per_model(study)
    medfr = medfr_program()
    here = Step(["cd", str(Path.cwd())], ["the folder medfr study launch ran in: relative paths "
                "of its command line are read from there"])  # fmt: skip
    launched = (
        f"Rendered by `{command_path('study', 'launch')}` for study {study.name} ({study.path})"
    )
    eval_file = None
    if todo:
        array = [[medfr, *array_task_argv(study, run_dir, m)[1:]] for m in todo]
        script = BatchScript(
            directives=eval_directives(study, opts, gpus),
            comments=[launched, f"One array task per model: {_engine(study, gpus)}.",
                      f"Submit with {paths['submit'].name} (it submits the final job too).",
                      *[f"task {i}: {m.name}" for i, m in enumerate(todo)]],
            steps=[here], array=array, array_parallel=opts.array_parallel,
        )  # fmt: skip
        eval_file = (paths["eval"], render_batch(script))
    final = BatchScript(
        directives=_cpu_directives(study, opts, "publish", opts.publish_time),
        comments=[launched, "The final job: pair (medfr signif), compare with the paper, build "
                  "the board, once every array task succeeded."],
        steps=[here, Step([medfr, *publish_argv(study, run_dir)[1:]])],
    )  # fmt: skip
    publish_file = (paths["publish"], render_batch(final))
    submit_file = (paths["submit"], _render_submitter(study, opts, paths, log_dir, here,
                                                      launched, bool(todo)))  # fmt: skip
    return Scripts(submit_file, eval_file, publish_file, todo, done, gpus)


def _render_submitter(study: Study, opts: SlurmSettings, paths: dict[str, Path], log_dir: Path,
                      here: Step, launched: str, array: bool) -> str:  # fmt: skip
    jobs = []
    if array:
        out = f"--output={log_dir}/%x-%A_%a.out"
        jobs.append(Submission("JOB_EVAL", paths["eval"], "evaluation (job array)", [], [out]))
    after: list[str | Var] = [Var("JOB_EVAL")] if array else []
    publish_opts = [f"--output={log_dir}/%x-%j.out", "--kill-on-invalid-dep=yes"]
    jobs.append(Submission("JOB_PUBLISH", paths["publish"], "publishing", after, publish_opts))
    head = BatchScript(
        directives=_cpu_directives(study, opts, "submit", SUBMIT_TIME),
        comments=[launched, "Submits the job array, then the final job with "
                  "--dependency=afterok on it.",
                  "Run it either way: sbatch THIS_FILE (a short job), or bash THIS_FILE "
                  "(from a login node)."],
        steps=[here, Step(["mkdir", "-p", str(log_dir)], ["the jobs' logs"])],
    )  # fmt: skip
    return render_submit(jobs, head=head)


def write_scripts(scripts: Scripts) -> None:
    """Write every script (executable), each through a temp file and a rename, once all rendered."""
    for path, _ in scripts.files():
        if not path.parent.is_dir():
            raise LaunchError(f"folder {path.parent} does not exist", file=path)
        if path.is_dir():
            raise LaunchError("is a folder; give a file name", file=path, field="--slurm")
    for path, text in scripts.files():
        write_text_atomic(path, text, mode=0o755, error=LaunchError)
