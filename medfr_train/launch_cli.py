"""``medfr-train launch``: the click command over :mod:`medfr_train.launch`.

Kept apart from ``launch.py`` so that ``medfr --help`` imports click only;
``launch.py`` (and accelerate, through it) loads when the command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

SHIPPED = "fsdp, fsdp2, deepspeed_zero3, ddp, single_gpu"


@click.command(
    "launch",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=(
        "\b\nExample: medfr train launch recipes/cpt_sft.yaml -c fsdp --nodes 4 "
        "--slurm job.sbatch -- --learning_rate 1e-5"
    ),
)
@click.argument("recipe", type=click.Path(dir_okay=False))
@click.argument("recipe_args", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "-c",
    "--config-file",
    required=True,
    help=f"accelerate config: a path, or a shipped name ({SHIPPED}).",
)
@click.option("--nodes", type=int, default=None, help="Nodes (default: the config's num_machines).")
@click.option(
    "--gpus-per-node",
    type=int,
    default=None,
    help="GPUs per node (default: the config's num_processes / num_machines).",
)
@click.option(
    "--sft-config",
    default="single_gpu",
    show_default=True,
    help="accelerate config of the SFT job of a CPT+SFT recipe (the study: one GPU).",
)
@click.option("--sft-gpus", type=int, default=1, show_default=True, help="GPUs of that SFT job.")
@click.option(
    "--after",
    default=None,
    metavar="JOBID",
    help="SLURM: the first job waits for this job (e.g. the CPT a recipe reuses).",
)
@click.option("--main-process-ip", default=None, help="Address of node 0 (commands only).")
@click.option("--main-process-port", type=int, default=None)
@click.option("-o", "--output", default=None, help="Write the command(s) to this file.")
@click.option("--slurm", default=None, metavar="FILE", help="Write a SLURM script ('-' prints it).")
@click.option("--job-name", default=None, help="SLURM: job name.")
@click.option("--partition", default=None, help="SLURM: partition.")
@click.option("--account", default=None, help="SLURM: account.")
@click.option("--time", default=None, help="SLURM: time limit, e.g. 24:00:00.")
@click.option("--cpus-per-task", type=int, default=None, help="SLURM: CPUs per task.")
@click.option("--mem", default=None, help="SLURM: memory, e.g. 0 (all the node's) or 480G.")
@click.option("--log-dir", default="logs", show_default=True, help="SLURM: log folder.")
@click.option("--gres", is_flag=True, help="SLURM: ask GPUs as --gres=gpu:G.")
@click.option(
    "--sbatch",
    multiple=True,
    metavar="OPT",
    help="SLURM: extra #SBATCH option, e.g. --sbatch=--constraint=h100 (repeatable).",
)
def launch(recipe: str, recipe_args: tuple[str, ...], **opts) -> None:
    """Render the accelerate launch command(s) and SLURM script(s), one job per stage.

    The request is checked against the accelerate config; nothing is started.
    A CPT+SFT recipe gets one job per stage, as the study ran it ("32 + 1"):
    CPT on the config and N x G GPUs asked, SFT on --sft-config with --sft-gpus,
    the SFT job waiting for the CPT job under SLURM. Each job states its global
    batch against the study's. Arguments after -- are passed on to medfr-train
    recipe (TRL-style overrides).
    """
    from medfr_eval.core.errors import LaunchError
    from medfr_eval.core.slurm import check_value
    from medfr_train.launch import SlurmOptions, write_atomic
    from medfr_train.launch_stages import commands_text, plan_jobs, slurm_texts

    # A line break in a file name would end a comment line of the script (and then run).
    for flag, key in (("-o", "output"), ("--slurm", "slurm"), ("--log-dir", "log_dir")):
        check_value(opts[key], flag)

    # the click options are named after plan_jobs' and SlurmOptions' arguments
    plan_keys = ("nodes", "gpus_per_node", "sft_config", "sft_gpus", "main_process_ip")
    jobs = plan_jobs(
        recipe,
        opts["config_file"],
        **{k: opts[k] for k in (*plan_keys, "main_process_port", "after")},
        recipe_args=list(recipe_args),
    )
    commands = commands_text(jobs)
    scripts: list[tuple[Path, str]] = []
    slurm_file = opts["slurm"]
    if slurm_file is not None:
        sbatch_keys = ("job_name", "partition", "account", "time", "cpus_per_task", "mem")
        slurm = SlurmOptions(
            **{k: opts[k] for k in (*sbatch_keys, "log_dir")},
            gpu_flag="gres" if opts["gres"] else "gpus-per-node",
            extra=list(opts["sbatch"]),
        )
        target = Path("job.sbatch") if slurm_file == "-" else Path(slurm_file)
        scripts = slurm_texts(jobs, slurm, target)
    output = opts["output"]
    # Check every destination before writing anything.
    for dest in (output, slurm_file):
        if dest not in (None, "-") and not Path(dest).parent.is_dir():
            raise LaunchError(f"folder {Path(dest).parent} does not exist", file=dest)
    if output:
        write_atomic(Path(output), "#!/bin/bash\n" + commands, executable=True)
        click.echo(f"commands written to {output}", err=True)
    else:
        sys.stdout.write(commands)
    if slurm_file == "-":
        for path, text in scripts:
            if len(scripts) > 1:
                sys.stdout.write(f"# ==== {path}\n")
            sys.stdout.write(text)
    elif scripts:
        for path, text in scripts:
            write_atomic(path, text, executable=True)
        how = "bash" if len(scripts) > 1 else "sbatch"
        click.echo(
            f"SLURM script(s) written: {', '.join(str(p) for p, _ in scripts)} "
            f"(submit with: {how} {slurm_file})",
            err=True,
        )
