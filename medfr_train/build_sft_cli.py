"""``medfr-train build-sft SOURCE -o FILE``: the study's 10K + 10K + 10K SFT mix.

SOURCE is MedInjection-FR (a local copy: the folder holding ``data/train-*.parquet``,
or its Hub id ``MedInjection-FR/ALL``) or any ``.parquet`` / ``.jsonl`` with the
same columns (``instruction``, ``context``, ``answer``, ``type``, ``origin``).
"""

from __future__ import annotations

from pathlib import Path

import click

from medfr_eval.cli import command_path
from medfr_eval.cli_options import eval_sets_options, output_file_option
from medfr_train.build_sft import STUDY_SIZES, build_sft, card_path


def _size_option(origin: str, help: str):
    """``--<origin> N``: rows drawn of one origin, the study's count by default."""
    return click.option(
        f"--{origin}",
        type=click.IntRange(min=0),
        default=STUDY_SIZES[origin],
        show_default=True,
        help=help,
    )


@click.command(
    "build-sft",
    epilog="Example: medfr train build-sft MedInjection-FR/ALL -o data/sft_study.jsonl --data DIR",
)
@click.argument("source")
@output_file_option("SFT JSONL to write (its data card goes beside it).")
@_size_option("native", "Native French rows.")
@_size_option("translated", "Rows translated from English.")
@_size_option("synthetic", "LLM-generated rows.")
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of the draw.")
@click.option("--split", default="train", show_default=True, help="Split of the source.")
@eval_sets_options("decontaminate against", listed_in="card")
@click.option(
    "--no-decontaminate",
    is_flag=True,
    help="Keep rows that overlap evaluation items (recorded in the card).",
)
def build_sft_command(
    source: str,
    output: Path,
    native: int,
    translated: int,
    synthetic: int,
    seed: int,
    split: str,
    against: tuple[str, ...],
    data: str | None,
    n: int,
    no_decontaminate: bool,
    skip_missing: bool,
) -> int:
    """Draw the study's SFT mix (native / translated / synthetic) from a source with an origin column."""
    sizes = {"native": native, "translated": translated, "synthetic": synthetic}
    card = build_sft(
        source,
        output,
        sizes=sizes,
        seed=seed,
        split=split,
        decontaminate=not no_decontaminate,
        against=list(against) or None,
        data=data,
        n=n,
        skip_missing=skip_missing,
    )
    drawn = ", ".join(f"{k} {v['drawn']}" for k, v in card["origins"].items())
    dropped = ", ".join(f"{k} {v}" for k, v in card["dropped"].items())
    click.echo(
        f"{command_path('train')}: wrote {card['output']['rows']} rows to {output} ({drawn})"
    )
    click.echo(f"dropped from the source: {dropped}; types: {card['types']}")
    click.echo(f"data card: {card_path(output)}")
    for name, why in ((card["decontamination"] or {}).get("not_checked") or {}).items():
        click.echo(f"warning: not decontaminated against {name}: {why}", err=True)
    return 0
