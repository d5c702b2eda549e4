"""One job per stage: the study's "32 + 1" (Table 8) for a chained recipe.

Why: the study trained CPT on 32 GPUs with FSDP and then the SFT stage on one
GPU. A CPT+SFT recipe launched as one 32-GPU job would also run its SFT stage on
32 ranks (global batch 4 x 2 x 32 = 256 instead of 8). So ``medfr-train launch``
plans one job per trained stage: the CPT job on the accelerate config and
N x G GPUs asked, the SFT job on ``--sft-config`` (``single_gpu`` by default)
with ``--sft-gpus`` (1), each running ``medfr-train recipe FILE --only-stage
NAME``; under SLURM the SFT job waits for the CPT job (``--dependency=afterok``).
A stage reused from another recipe (``from_recipe``) gets no job: its own
recipe trains it (``--after JOBID`` makes the first job wait for that one).
Every job states its global batch against the study's, with a warning when they
differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from medfr_eval.cli import command_path
from medfr_eval.core.errors import LaunchError
from medfr_eval.core.slurm import Submission, Var, check_value, render_submit
from medfr_train.launch import (
    LaunchPlan,
    SlurmOptions,
    default_job_name,
    plan_launch,
    render_commands,
    render_slurm,
)


@dataclass
class StageJob:
    """One job: which stage, its launch plan, its global batch."""

    stage: str | None  # None: the whole recipe (one stage)
    plan: LaunchPlan
    warning: bool = False


@dataclass
class Jobs:
    jobs: list[StageJob]
    notes: list[str] = field(default_factory=list)  # reused stages, ...
    after: str | None = None  # a SLURM job id the first job waits for


def plan_jobs(
    recipe: str | Path,
    config_file: str,
    *,
    nodes: int | None = None,
    gpus_per_node: int | None = None,
    sft_config: str = "single_gpu",
    sft_gpus: int = 1,
    main_process_ip: str | None = None,
    main_process_port: int | None = None,
    recipe_args: list[str] | None = None,
    after: str | None = None,
) -> Jobs:
    """The jobs of a recipe; a one-stage recipe keeps one job on the config asked."""
    from medfr_train.recipe import load_recipe
    from medfr_train.recipe.batch import batch_line

    if after is not None and not re.fullmatch(r"[0-9]+(_[0-9]+)?", after):
        raise LaunchError(f"expected a SLURM job id, got {after!r}", field="--after")
    if not Path(recipe).is_file():
        raise LaunchError("recipe file not found", file=recipe)
    args = list(recipe_args or [])
    loaded = load_recipe(recipe, args, check_data=False)
    chained = len(loaded.stages) > 1
    out = Jobs(jobs=[], after=after)
    for stage in loaded.stages:
        if stage.reused_from is not None:
            out.notes.append(
                f"{stage.name}: reused from {stage.reused_from['recipe']}; no job here "
                "(launch that recipe first; --after JOBID makes this job wait for it)"
            )
            continue
        sft_job = chained and stage.name == "sft"
        plan = plan_launch(
            recipe,
            sft_config if sft_job else config_file,
            nodes=1 if sft_job else nodes,
            gpus_per_node=sft_gpus if sft_job else gpus_per_node,
            main_process_ip=None if sft_job else main_process_ip,
            main_process_port=main_process_port,
            recipe_args=(["--only-stage", stage.name] if chained else []) + args,
        )
        line, differs = batch_line(stage, plan.num_processes)
        plan.notes.append(line)
        out.jobs.append(StageJob(stage.name if chained else None, plan, differs))
    return out


def commands_text(jobs: Jobs) -> str:
    """The shell commands of every job, in order (each job after the previous one finished)."""
    parts = []
    for i, job in enumerate(jobs.jobs):
        lines = [f"note: {n}" for n in jobs.notes] if i == 0 else []
        if job.stage is not None:
            wait = " (after the previous job finished)" if i else ""
            lines.append(f"---- stage {job.stage}{wait}")
        parts.append(render_commands(job.plan, lines))
    return "".join(parts)


def stage_script_path(path: Path, stage: str) -> Path:
    """``job.sbatch`` -> ``job.cpt.sbatch``: the batch script of one stage beside the submitter."""
    return path.with_name(f"{path.stem}.{stage}{path.suffix or '.sbatch'}")


def slurm_texts(jobs: Jobs, opts: SlurmOptions, path: Path) -> list[tuple[Path, str]]:
    """The batch script(s), as (file, text): one for a one-stage recipe; for a chained one,
    each stage's (``job.cpt.sbatch``, ...) and, at ``path``, a submit script that chains them
    with ``--dependency=afterok``."""
    check_value(path, "--slurm")
    if len(jobs.jobs) == 1 and jobs.jobs[0].stage is None:
        extra = [f"--dependency=afterok:{jobs.after}"] if jobs.after else []
        one = SlurmOptions(**{**opts.__dict__, "extra": [*opts.extra, *extra]})
        return [(path, render_slurm(jobs.jobs[0].plan, one))]
    out: list[tuple[Path, str]] = []
    submissions: list[Submission] = []
    previous: list[str | Var] = [jobs.after] if jobs.after else []
    for job in jobs.jobs:
        assert job.stage is not None
        name = opts.job_name or default_job_name(job.plan.recipe)
        stage_opts = SlurmOptions(
            **{**opts.__dict__, "extra": list(opts.extra), "job_name": f"{name}-{job.stage}"}
        )
        script_path = stage_script_path(path, job.stage)
        out.append((script_path, render_slurm(job.plan, stage_opts)))
        var = f"JOB_{job.stage.upper()}"
        submissions.append(Submission(var, script_path, job.stage, previous))
        previous = [Var(var)]
    comments = [
        f"Rendered by `{command_path('train', 'launch')}`: one SLURM job per stage, each waiting",
        "for the one before it (afterok). Run from the repository root: bash THIS_FILE",
        *[f"note: {n}" for n in jobs.notes],
    ]
    out.append((path, render_submit(submissions, comments)))
    return out
