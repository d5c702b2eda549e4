"""``medfr train`` (also ``medfr-train``): run, check and prepare training recipes.

A click group; ``medfr_eval.cli`` registers it as ``medfr train`` and the
``medfr-train`` script, and prints every ``MedfrError`` as one ``error: FILE:LINE:
field: message`` line (exit 2). Importing this module stays cheap: trl, peft,
accelerate and torch are imported inside the commands, so ``medfr --help``
never loads the training stack.

``recipe`` and ``check`` take TRL-style overrides after the recipe file
(``--learning_rate 1e-5``, ``--stage.sft.num_train_epochs 3``,
``--run_card.gpu_name H100``); click passes them on untouched and TRL's parser
type-checks them (``medfr-train check --help-keys`` lists every key).
"""

from __future__ import annotations

import click

from medfr_eval.cli import FullHelpGroup, command_path
from medfr_train.build_sft_cli import build_sft_command
from medfr_train.corpus.cli import prepare_corpus
from medfr_train.footprint_cli import footprint
from medfr_train.launch_cli import launch

#: click settings of a command that takes TRL-style ``--key value`` overrides.
OVERRIDES = {"ignore_unknown_options": True, "allow_extra_args": True}


@click.group(
    name="train",
    cls=FullHelpGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: medfr train recipe recipes/cpt_sft.yaml --learning_rate 1e-5",
)
def train() -> None:
    """Train, check and prepare CPT / SFT / CPT+SFT recipes (TRL, peft DoRA, accelerate)."""


def _print_keys(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from medfr_train.recipe.parse import help_text

    click.echo(help_text())
    ctx.exit(0)


#: ``--help-keys``: every recipe key, as TRL's parser describes it.
HELP_KEYS = click.option(
    "--help-keys",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_keys,
    help="List every recipe key (TRL's SFTConfig / ModelConfig and medfr's) with its type, and exit.",
)


def recipe_command(example: str):
    """A ``train`` subcommand on a recipe file: TRL-style overrides after it, ``--help-keys``,
    the click context (for the overrides) passed first."""

    def decorate(func):
        func = click.pass_context(func)
        func = HELP_KEYS(func)
        func = click.argument("file", type=click.Path(dir_okay=False))(func)
        return train.command(context_settings=OVERRIDES, epilog=f"Example: {example}")(func)

    return decorate


@recipe_command("medfr train recipe recipes/demo/cpt_sft.yaml --stage.sft.num_train_epochs 3")
@click.option("--resume", is_flag=True, help="Continue from the last checkpoint.")
@click.option(
    "--force",
    is_flag=True,
    help="Retrain stages already done; write into a non-empty output_dir medfr did not make.",
)
@click.option(
    "--only-stage",
    type=click.Choice(["cpt", "sft"]),
    default=None,
    help="Train this stage only (one job per stage, as medfr train launch renders them); "
    "earlier stages must be finished.",
)
def recipe(
    ctx: click.Context, file: str, resume: bool, force: bool, only_stage: str | None
) -> None:
    """Train a recipe (CPT, SFT or CPT+SFT); extra --key value pairs override its keys."""
    from medfr_train.runner import run_recipe

    result = run_recipe(file, list(ctx.args), resume=resume, force=force, only_stage=only_stage)
    for name in result.reused:
        click.echo(f"stage {name}: reused from {result.recipe.stages[0].reused_from['recipe']}")
    for name in result.skipped:
        click.echo(f"stage {name}: already done with the same settings (use --force to retrain)")
    click.echo(f"model: {result.model_dir}\nrun card: {result.run_cards[-1]}")


@recipe_command("medfr train check recipes/cpt_sft.yaml --skip-data")
@click.option("--skip-data", is_flag=True, help="Do not look at data files.")
@click.option(
    "--processes",
    multiple=True,
    metavar="STAGE=N",
    help="Processes (GPUs) a stage will run on, for its global batch "
    "(default: the study's, cpt=32 sft=1).",
)
def check(ctx: click.Context, file: str, skip_data: bool, processes: tuple[str, ...]) -> None:
    """Validate a recipe without training; extra --key value pairs override its keys."""
    from medfr_train.errors import RecipeError
    from medfr_train.recipe import load_recipe
    from medfr_train.recipe.batch import batch_notes, parse_processes
    from medfr_train.report import print_check
    from medfr_train.runner import check_outputs

    shape = parse_processes(processes)
    recipe = load_recipe(file, list(ctx.args), check_data=not skip_data)
    recipe.notes.extend(batch_notes(recipe, shape))
    check_outputs(recipe, list(ctx.args), force=True)  # errors even --force does not pass
    try:
        check_outputs(recipe, list(ctx.args), force=False)
    except RecipeError as exc:  # `recipe` refuses it unless --force: say it now
        recipe.notes.append(
            f"{exc.format()} ({command_path('train', 'recipe')} refuses it without --force)"
        )
    print_check(recipe)


@train.command(
    "validate-sft", epilog="Example: medfr train validate-sft recipes/data/sft_sample.jsonl"
)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate_sft(files: tuple[str, ...]) -> None:
    """Check SFT JSONL files against the medfr schema (file, line and field of the first error)."""
    from medfr_train.sft_data import print_summary, validate_file

    for f in files:
        print_summary(f, validate_file(f))


train.add_command(prepare_corpus)
train.add_command(build_sft_command)
train.add_command(launch)
train.add_command(footprint)


def main(argv: list[str] | None = None) -> int:
    """``python -m medfr_train.cli``: the same as the ``medfr-train`` script."""
    from medfr_eval.cli import train_main

    return train_main(argv)


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.exit(main())
