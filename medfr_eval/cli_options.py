"""Click options that mean the same thing in several commands, declared once.

``medfr-data contamination`` and ``medfr-train build-sft`` both compare
training text with the evaluation sets, and both write one output file: the
options for that (which sets, where their data lives, the n-gram size, what to
do when a set cannot be loaded, the file to write) must read and behave the
same in both, so they are built here and not copied.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from medfr_eval.contamination.ngrams import DEFAULT_N

F = TypeVar("F", bound=Callable)


def output_file_option(help: str) -> Callable[[F], F]:
    """``-o/--output FILE`` (required, a file, passed as a :class:`~pathlib.Path`)."""
    return click.option(
        "-o",
        "--output",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help=help,
    )


def eval_sets_options(action: str, listed_in: str) -> Callable[[F], F]:
    """``--against``, ``--data``, ``-n`` and ``--skip-missing``: the evaluation sets
    training text is compared with. ``action`` says what is done against them,
    ``listed_in`` where the sets left out by ``--skip-missing`` are listed."""
    options = [
        click.option(
            "--against",
            multiple=True,
            metavar="TASKS",
            help=f"Sets, tasks or groups to {action}, comma-separated or repeated "
            "(default: medfr_all).",
        ),
        click.option(
            "--data",
            default=None,
            metavar="sample|hub|DIR",
            help="Evaluation data: shipped samples, the Hub, or a folder of <set>.jsonl "
            "(default: MEDFR_DATA, else hub).",
        ),
        click.option(
            "-n",
            "n",
            type=int,
            default=DEFAULT_N,
            show_default=True,
            help="n-gram size of the contamination check (>= 5).",
        ),
        click.option(
            "--skip-missing",
            is_flag=True,
            help=f"Leave out sets whose data cannot be found (listed in the {listed_in}) "
            "instead of failing.",
        ),
    ]

    def decorate(func: F) -> F:
        for option in reversed(options):  # click lists options in decorator order
            func = option(func)
        return func

    return decorate
