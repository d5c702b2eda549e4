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
        "\b\nExample: medfr-train launch recipes/cpt_sft.yaml -c fsdp --nodes 4 "
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
    """Render the accelerate launch command(s) and a SLURM script for N nodes x G GPUs.

    The request is checked against the accelerate config; nothing is started.
    Arguments after -- are passed on to medfr-train recipe (TRL-style overrides).
    """
    from medfr_eval.errors import LaunchError
    from medfr_train.launch import (
        SlurmOptions,
        plan_launch,
        render_commands,
        render_slurm,
        write_atomic,
    )

    plan = plan_launch(
        recipe,
        opts["config_file"],
        nodes=opts["nodes"],
        gpus_per_node=opts["gpus_per_node"],
        main_process_ip=opts["main_process_ip"],
        main_process_port=opts["main_process_port"],
        recipe_args=list(recipe_args),
    )
    commands = render_commands(plan)
    script = None
    if opts["slurm"] is not None:
        slurm = SlurmOptions(
            job_name=opts["job_name"],
            partition=opts["partition"],
            account=opts["account"],
            time=opts["time"],
            cpus_per_task=opts["cpus_per_task"],
            mem=opts["mem"],
            log_dir=opts["log_dir"],
            gpu_flag="gres" if opts["gres"] else "gpus-per-node",
            extra=list(opts["sbatch"]),
        )
        script = render_slurm(plan, slurm)
    output, slurm_file = opts["output"], opts["slurm"]
    # Check every destination before writing anything.
    for dest in (output, slurm_file):
        if dest not in (None, "-") and not Path(dest).parent.is_dir():
            raise LaunchError(f"folder {Path(dest).parent} does not exist", file=dest)
    if output:
        write_atomic(Path(output), "#!/bin/bash\n" + commands, executable=True)
        click.echo(f"commands written to {output}", err=True)
    else:
        sys.stdout.write(commands)
    if script is not None:
        if slurm_file == "-":
            sys.stdout.write(script)
        else:
            write_atomic(Path(slurm_file), script, executable=True)
            click.echo(
                f"SLURM script written to {slurm_file} (submit with: sbatch {slurm_file})",
                err=True,
            )
