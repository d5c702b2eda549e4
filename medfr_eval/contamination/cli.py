"""``medfr-data contamination TRAIN... [--against TASKS] [-n 13] -o OUT``.

Streams the training files once, prints per set how many items share an
n-gram with them and what share of the sets' n-grams they contain, and writes
the report with the contaminated ids to ``OUT`` (atomically), ready for
``lm_eval ... --metadata '{"medfr_exclude": "OUT"}'``.
"""

from __future__ import annotations

from pathlib import Path

import click

from medfr_eval.cli import command_path
from medfr_eval.cli_options import eval_sets_options, output_file_option
from medfr_eval.contamination.check import EvalIndex, check_n, report, scan_files
from medfr_eval.contamination.evalitems import load_items, resolve_sets
from medfr_eval.contamination.readers import expand
from medfr_eval.contamination.textfile import check_encoding
from medfr_eval.core.errors import DataError
from medfr_eval.core.fileio import write_json_atomic


def check_output(output: Path) -> None:
    """Refuse an output that cannot be written before the scan, not after it."""
    if output.is_dir():
        raise DataError("is a folder; give a file name", file=output, field="-o")
    parent = next((p for p in output.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise DataError(f"{parent} is a file, not a folder", file=output, field="-o")


def print_report(rep: dict) -> None:
    """The per-set table people read (the JSON holds the same figures and the ids)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"contamination: {rep['n']}-gram overlap with the training text")
    for col in ("task", "items", "contaminated", "% items", "n-grams", "overlapping", "% n-grams"):
        table.add_column(col, no_wrap=True, justify="left" if col == "task" else "right")
    for s in rep["sets"].values():
        table.add_row(
            s["task"],
            str(s["items"]),
            str(s["contaminated_items"]),
            f"{s['item_share']:.1%}",
            str(s["ngrams"]),
            str(s["overlapping_ngrams"]),
            f"{s['ngram_share']:.2%}",
        )
    console = Console()
    console.width = max(console.width, 100)  # piped output defaults to 80: the table would wrap
    console.print(table)


@click.command(
    "contamination",
    epilog="Example: medfr data contamination corpus.txt sft.jsonl --against medfr_mcq_native,medfr_openqa "
    "--data sample -o contaminated.json",
)
@click.argument("train", nargs=-1, required=True, type=click.Path(path_type=Path))
@eval_sets_options("check", listed_in="report")
@click.option(
    "--field",
    "fields",
    multiple=True,
    help="JSONL/parquet field(s) holding the text (default: all text fields).",
)
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    help="Encoding of the .txt files (e.g. latin-1); bytes not valid in it stop the check. "
    "JSONL and parquet text is UTF-8.",
)
@click.option(
    "--hub-sources", default=None, type=click.Path(dir_okay=False), help="YAML of Hub sources."
)
@output_file_option("Report with the contaminated ids (JSON), for medfr_exclude.")
def contamination(
    train: tuple[Path, ...],
    against: tuple[str, ...],
    n: int,
    data: str | None,
    fields: tuple[str, ...],
    encoding: str,
    hub_sources: str | None,
    skip_missing: bool,
    output: Path,
) -> int:
    """Check training text (CPT corpus, SFT files) for n-gram overlap with the evaluation sets."""
    from tqdm.auto import tqdm

    check_n(n)
    check_encoding(encoding)
    check_output(output)
    # bad paths fail before the evaluation data is loaded
    skipped_files: dict[str, str] = {}
    files = expand(train, skipped_files)
    for name, why in skipped_files.items():
        click.echo(f"warning: {name}: not read: {why}", err=True)
    if not files:
        raise DataError("no training file to read (all skipped)", file=train[0])
    skipped: dict[str, str] | None = {} if skip_missing else None
    items = load_items(resolve_sets(against), data, hub_sources, skipped)
    for name, why in (skipped or {}).items():
        click.echo(f"warning: set {name} not checked: {why}", err=True)
    if not items:
        raise DataError(
            "no evaluation set could be loaded: nothing to check against", field="--data"
        )
    idx = EvalIndex.build(items, n)
    total = sum(f.stat().st_size for f in files)
    with tqdm(total=total, unit="B", unit_scale=True, desc="scanning", disable=None) as bar:
        stats = scan_files(idx, files, fields or None, progress=bar.update, encoding=encoding)
    rep = report(idx, stats, data=data, skipped=skipped, skipped_files=skipped_files)
    print_report(rep)
    write_json_atomic(output, rep)
    t = rep["totals"]
    click.echo(
        f"{command_path('data')}: {t['contaminated_items']} of {t['items']} items overlap the training text; "
        f'ids in {output} (exclude them with --metadata \'{{"medfr_exclude": "{output}"}}\')'
    )
    return 0
