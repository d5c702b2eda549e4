"""``medfr demo``: the click command; the work is in :mod:`medfr_eval.demo.run`.

Only argument parsing here, with the heavy imports (rich) deferred, so that
``medfr --help`` stays instant. A failed step is a :class:`DemoError` naming the
step and its log, printed by :func:`medfr_eval.cli.run` (exit 2); Ctrl-C exits
130 and keeps the finished steps for the next run.
"""

from __future__ import annotations

from pathlib import Path

import click

from medfr_eval.demo.plan import FAST_MAX_GEN_TOKS, STEP_NAMES


def _list_steps(out: str, steps: str | None, fast: bool) -> None:
    """Print each selected step, whether it is done, and its exact commands."""
    from rich.markup import escape

    from medfr_eval.demo import plan as plans
    from medfr_eval.demo.run import check_root, make_console, select_steps
    from medfr_eval.demo.state import step_done

    console = make_console()
    lay = plans.Layout(Path(out).resolve())
    check_root(lay.root)
    plan = plans.build_plan(lay.root, fast=fast)
    for name in select_steps(steps):
        step = plan[name]
        state = "[green]done[/]" if step_done(lay, plan, name) else "[yellow]to do[/]"
        console.print(f"[bold]{name}[/] ({state}): {step.title}")
        for unit in step.units:
            console.print(f"  $ {escape(plans.display(unit.argv))}", highlight=False)


@click.command(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Example: medfr demo --out medfr-demo --fast",
)
@click.option(
    "--out",
    default="medfr-demo",
    show_default=True,
    metavar="DIR",
    help="working folder (models, logs, results, site)",
)
@click.option(
    "--steps",
    metavar="A,B",
    default=None,
    help=f"run only these steps, in the demo's order: {','.join(STEP_NAMES)}",
)
@click.option(
    "--fast",
    is_flag=True,
    help=(
        "test setting: a few optimizer steps per recipe, shorter open-QA answers "
        f"({FAST_MAX_GEN_TOKS} tokens) and fewer bootstrap resamples; the sample sets stay whole"
    ),
)
@click.option("--force", is_flag=True, help="redo the selected steps even if done")
@click.option("--list", "list_only", is_flag=True, help="print the steps and commands, run nothing")
def demo(out: str, steps: str | None, fast: bool, force: bool, list_only: bool) -> None:
    """The whole study in miniature, offline, on CPU (about 5 CPU-minutes when idle).

    Tokenizer + tiny Mistral pre-trained on the shipped French corpus; CPT,
    DoRA SFT and CPT+SFT with the demo recipes; lm_eval on the 15 sample sets;
    medfr signif; the leaderboard site. Finished steps are reused.
    """
    if list_only:
        _list_steps(out, steps, fast)
        return
    from medfr_eval.demo.run import run_demo

    try:
        run_demo(out, steps=steps, fast=fast, force=force)
    except KeyboardInterrupt:
        from medfr_eval.cli import command_path

        click.echo(f"{command_path('demo')}: finished steps are kept and will be reused", err=True)
        raise
