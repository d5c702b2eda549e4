"""``medfr board`` / ``medfr-leaderboard``: build the public board, register runs, pin the reference.

Subcommands::

  build RUNS... [--signif signif.json] [--board DIR] [--reference FILE]
        [--allow-setting-mismatch] -o site/
  add RESULTS_DIR [--board leaderboard/entries] [--reference FILE] [--allow-setting-mismatch]
  reference RESULTS_DIR [-o leaderboard/reference.json]

Bad input or a refused submission is a MedfrError: :func:`medfr_eval.cli.run`
prints it as one ``error:`` message and exits 2. The steps are imported inside
each command so that ``--help`` stays instant; still no torch or lm-eval.
"""

from __future__ import annotations

from pathlib import Path

import click

_PATH = click.Path(path_type=Path)
_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(
    "board",
    context_settings=_SETTINGS,
    epilog="Example: medfr board build out/ --signif signif/signif.json -o site",
)
def board() -> None:
    """Static leaderboard of French medical LLMs from lm-eval results."""


@board.command(epilog="Example: medfr board build out/ --signif signif/signif.json -o site")
@click.argument("runs", nargs=-1, type=_PATH)
@click.option("-o", "--output", type=_PATH, required=True, help="site folder to (re)write")
@click.option("--signif", type=_PATH, help="medfr signif JSON (intervals, wins against base)")
@click.option(
    "--board", "board_dir", type=_PATH, help="entries folder (default: leaderboard/entries)"
)
@click.option("--reference", type=_PATH,
              help="board reference (default: reference.json beside the entries folder; "
              "if absent, the first run is the reference)")  # fmt: skip
@click.option("--allow-setting-mismatch", is_flag=True,
              help="admit runs scored under other settings than the reference's "
              "(generation kwargs, few-shot, scorer); the default refuses them")  # fmt: skip
@click.option("--paper", type=_PATH,
              help="medfr study compare JSON (compare.json): a page of the runs beside the paper")  # fmt: skip
def build(runs: tuple[Path, ...], output: Path, signif, board_dir, reference,
          allow_setting_mismatch: bool, paper) -> None:  # fmt: skip
    """Build the static site (works from file:// and any static host).

    RUNS are lm-eval output folders (default: the board's entries)."""
    from .build import build_site

    rows = build_site(list(runs), output, signif=signif, board=board_dir, reference=reference,
                      allow_setting_mismatch=allow_setting_mismatch, paper=paper)  # fmt: skip
    click.echo(f"{len(rows)} models -> {output / 'index.html'}")


@board.command(epilog="Example: medfr board add out/MedMistral-CPT --board leaderboard/entries")
@click.argument("results_dir", type=_PATH)
@click.option(
    "--board", "board_dir", type=_PATH, help="entries folder (default: leaderboard/entries)"
)
@click.option("--reference", type=_PATH, help="board reference (default: beside --board)")
@click.option("--allow-setting-mismatch", is_flag=True,
              help="admit runs scored under other settings than the reference's "
              "(generation kwargs, few-shot, scorer); the default refuses them")  # fmt: skip
def add(results_dir: Path, board_dir, reference, allow_setting_mismatch: bool) -> None:
    """Check a submission and copy it into the board's entries."""
    from .build import add_submission

    dest = add_submission(results_dir, board=board_dir, reference=reference,
                          allow_setting_mismatch=allow_setting_mismatch)  # fmt: skip
    click.echo(f"accepted: {dest}")


@board.command(epilog="Example: medfr board reference out/Mistral-7B -o leaderboard/reference.json")
@click.argument("results_dir", type=_PATH)
@click.option("-o", "--output", type=_PATH, help="default: leaderboard/reference.json")
def reference(results_dir: Path, output) -> None:
    """Pin task versions and prompt hashes from a trusted run."""
    from .build import default_board, default_reference, pin_reference

    out = output or default_reference(default_board())
    ref = pin_reference(results_dir, out)
    click.echo(f"reference pinned from {ref['source_model']} ({len(ref['tasks'])} tasks) -> {out}")
