"""``medfr data`` (also ``medfr-data``): list the sets, check a data file, convert users' files, show prompts.

    medfr data list [--hub-sources FILE] [--origins]
    medfr data validate DIR_OR_FILE [--set NAME]
    medfr data convert INPUT --set NAME -o OUT.jsonl [--map ours=theirs ...]
                       [--answer-format letter|index0|index1|text] [--split test] [--config NAME]
    medfr data show NAME [--data sample|hub|DIR] [-n 1] [--prompts DIR]

``convert`` reads JSONL/JSON/CSV/parquet files, a local ``datasets`` folder or
a Hub dataset id, maps columns onto our schema, validates every row and writes
the JSONL atomically (temp file, then rename): a failure leaves nothing behind.

Errors are :class:`~medfr_eval.core.errors.DataError`; :func:`medfr_eval.cli.run`
prints them (one line, exit 2), so no command here catches them.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

import click

from medfr_eval.cli import FullHelpGroup, command_path
from medfr_eval.core.errors import DataError
from medfr_eval.core.fileio import write_text_atomic
from medfr_eval.core.sets import ALL_FAMILIES, ALL_SETS, EvalSet, get_set
from medfr_eval.data.sources import ANSWER_FORMATS, HubSource, get_source

#: Modules that add subcommands to ``medfr data`` ("module:attribute"), imported on use.
#: A new data command is one line here and one module beside this one.
EXTRA_COMMANDS: dict[str, str] = {
    "fetch": "medfr_eval.data.fetch_cli:fetch",
    "contamination": "medfr_eval.contamination.cli:contamination",
}


class DataGroup(FullHelpGroup):
    """``medfr data``: the commands below, plus :data:`EXTRA_COMMANDS`, imported on use.

    Why lazy: an extra command's module (e.g. ``fetch``) may import heavy or
    optional packages, and ``medfr data list`` should not pay for them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        # the order of a user's day (list, validate, convert, show), not click's alphabetical one
        return [*self.commands, *(name for name in EXTRA_COMMANDS if name not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        target = EXTRA_COMMANDS.get(cmd_name) if found is None else None
        if target is not None:
            module, attr = target.split(":")
            found = getattr(importlib.import_module(module), attr)
        return found


def _set(name: str, option: str = "--set", file: Path | None = None) -> EvalSet:
    """:func:`get_set` with the user's spelling turned into a one-line DataError.

    ``file`` is given when the set name was read from that file's name."""
    try:
        return get_set(name)
    except KeyError as exc:
        hint = "; the set is named after the file, or given with --set" if file else ""
        raise DataError(str(exc.args[0]) + hint, file=file, field=option) from None


def _print_table(headers: list[str], rows: list[list[str]], title: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for i, h in enumerate(headers):
        # the first column (task or file) is what people copy: never cut it
        table.add_column(h, no_wrap=i == 0, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@click.group(
    cls=DataGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Example: medfr data validate my_data/ --set medqa_4opt",
)
def data() -> None:
    """List the sets, check and convert data files, fetch public copies, show prompts."""


def _data_column(es: EvalSet, hub_sources: str | None) -> str:
    """Where a set's data comes from when no folder is given: a Hub copy the user named, the
    public copy, or the authors."""
    if es.in_study and (hub_sources or os.environ.get("MEDFR_HUB_SOURCES")):
        src = get_source(es.name, hub_sources)
        if src.path:
            return f"hub: {src.path}"
    return f"public: {es.public_source}" if es.public_source else "from the authors"


def _origin(es: EvalSet, hub_sources: str | None) -> str:
    """Where a set comes from, in words: the study's sources table, else its public source."""
    from medfr_eval.data.public_sources import SOURCES as PUBLIC

    if es.in_study:
        return get_source(es.name, hub_sources).origin
    source = PUBLIC[es.public_source] if es.public_source else None
    if source and es.twin_of:
        return (
            f"the English originals of medfr_{es.twin_of}'s items ({source.repo}, {source.license})"
        )
    return f"{source.title} ({source.repo}, {source.license})" if source else es.title


def sets_tables(hub_sources: str | None = None) -> list:
    """One rich table per family of sets (the study's 15 first, then the public extras).

    Narrow on purpose: four columns of unbreakable words (task, size, metric,
    source) fit 80 columns, so no name is ever cut or wrapped mid-word."""
    from rich import box
    from rich.table import Table

    tables = []
    for fam, label in ALL_FAMILIES.items():
        members = [s for s in ALL_SETS if s.family == fam]
        if not members:
            continue
        where = "the study" if members[0].in_study else "public, beyond the study"
        table = Table(
            title=f"{label} ({where})",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        table.add_column("task", no_wrap=True)
        table.add_column("items", justify="right", no_wrap=True)
        table.add_column("metric", no_wrap=True)
        table.add_column("data", no_wrap=True)
        for s in members:
            size = f"{s.study_size:,}" if s.study_size else "unknown"
            table.add_row(s.task, size, s.metric, _data_column(s, hub_sources))
        tables.append(table)
    return tables


@data.command("list", epilog="Example: medfr data list --origins")
@click.option(
    "--hub-sources",
    default=None,
    metavar="FILE",
    help="a sources YAML file (see medfr_eval/data/sources.py)",
)
@click.option("--origins", is_flag=True, help="also say where each set comes from")
def list_sets(hub_sources: str | None, origins: bool) -> None:
    """Every set: its task, test size, metric and where its data comes from."""
    from rich.console import Console

    console = Console()
    for table in sets_tables(hub_sources):
        console.print(table)
    public = sum(1 for s in ALL_SETS if s.public_source)
    for line in (  # short lines: the legend must fit 80 columns too
        "items: the study's test size (extras: the source's; ?: not stated).",
        f"public ({public} sets): downloaded on first use, or ahead: "
        f"{command_path('data', 'fetch')} -o DIR",
        "from the authors: request the files, then MEDFR_DATA=DIR (docs/data.md).",
        "MEDFR_DATA=sample: the small samples shipped with medfr (not the real sets).",
    ):
        click.echo(line)
    if origins:
        for s in ALL_SETS:
            click.echo(f"{s.task}: {_origin(s, hub_sources)}")


@data.command(epilog="Example: medfr data validate data/medqa_4opt.jsonl")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--set", "set_name", default=None, help="set name (default: the file name)")
def validate(path: Path, set_name: str | None) -> None:
    """Check <set>.jsonl files (one file, or every .jsonl of a folder) against the schema."""
    from medfr_eval.data.records import read_jsonl, validate_records

    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise DataError("no .jsonl files in this folder", file=path)
    elif path.is_file():
        files = [path]
    else:
        raise DataError("no such file or folder", file=path)
    rows = []
    for file in files:
        es = _set(set_name, "--set") if set_name else _set(file.stem, "file name", file)
        records = validate_records(es, read_jsonl(file), file)
        rows.append([str(file), es.task, str(len(records)), "ok"])
    _print_table(["file", "task", "items", "status"], rows)


#: One input row and where it is: (file label, line or None, the row).
Located = tuple[str, "int | None", object]


def _read_json_rows(p: Path, split: str) -> list[Located]:
    """Items of a JSON list (or of ``{split: [...]}``), each named ``FILE[i]`` (its JSON path)."""
    from medfr_eval.core.fileio import loads_json_line, read_text_utf8

    loaded = loads_json_line(read_text_utf8(p), file=p, line=None)
    label = str(p)
    if isinstance(loaded, dict):
        key = split if split in loaded else "data"
        loaded, label = loaded.get(key), f"{p}:{key}"
    if not isinstance(loaded, list):
        raise DataError("expected a JSON list of objects (or {split: [...]})", file=p)
    return [(f"{label}[{i}]", None, row) for i, row in enumerate(loaded)]


def _read_csv_rows(p: Path) -> list[Located]:
    """CSV rows with the file line each starts on (the header is line 1).

    Read as ``utf-8-sig``: Excel's "CSV UTF-8" starts with a BOM that would
    otherwise stick to the first column name (``\ufeffq``). The csv module's
    128 KB field limit is lifted for the read (a clinical case can be longer)."""
    import csv
    import io

    from medfr_eval.core.fileio import read_text_utf8

    text = read_text_utf8(p)
    old_limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows: list[Located] = []
        start = 2
        try:
            for row in reader:
                if None in row:  # more cells than header columns
                    raise DataError(
                        f"{len(row[None])} cell(s) more than the header's columns",
                        file=p,
                        line=start,
                    )
                rows.append((str(p), start, row))
                start = reader.line_num + 1
        except csv.Error as exc:
            raise DataError(f"not valid CSV: {exc}", file=p, line=reader.line_num) from None
    finally:
        csv.field_size_limit(old_limit)
    if reader.fieldnames is None:
        raise DataError("empty CSV file (no header line)", file=p)
    return rows


def _read_any(path: str, split: str, config: str | None) -> list[Located]:
    """Rows of a JSONL/JSON/CSV/parquet file, a local ``datasets`` folder or a Hub id."""
    p = Path(path)
    if p.suffix == ".jsonl":
        from medfr_eval.data.records import read_jsonl

        return [(str(p), line, row) for line, row in read_jsonl(p)]
    if p.suffix == ".json":
        return _read_json_rows(p, split)
    if p.suffix == ".csv":
        return _read_csv_rows(p)
    if p.suffix == ".parquet":
        import datasets

        if not p.is_file():
            raise DataError("file not found", file=p)
        rows = datasets.load_dataset("parquet", data_files=str(p), split="train")
        return [(f"{p}[{i}]", None, row) for i, row in enumerate(rows)]
    if p.suffix and p.exists():
        raise DataError("unsupported file type; use .jsonl, .json, .csv, .parquet", file=p)
    import datasets  # a local datasets folder or a Hub id

    try:
        rows = datasets.load_dataset(path, config, split=split)
    except Exception as exc:  # datasets raises many types; the user needs the message
        raise DataError(f"could not load {path!r} (split {split!r}): {exc}", file=path) from exc
    return [(f"{path}[{i}]", None, row) for i, row in enumerate(rows)]


def _parse_map(pairs: tuple[str, ...]) -> dict:
    mapping: dict = {}
    for pair in pairs:
        if "=" not in pair:
            raise DataError(f"expected ours=theirs, got {pair!r}", field="--map")
        ours, theirs = pair.split("=", 1)
        mapping[ours.strip()] = (
            [c.strip() for c in theirs.split(",")] if "," in theirs else theirs.strip()
        )
    return mapping


def write_jsonl_atomic(records: list[dict], out: Path) -> None:
    """JSONL written to a temp file in the same folder, then renamed into place."""
    text = "".join(json.dumps(rec, ensure_ascii=False, allow_nan=False) + "\n" for rec in records)
    write_text_atomic(out, text)


@data.command(
    epilog=(
        "Example: medfr data convert mine.csv --set medmcqa -o data/medmcqa.jsonl "
        "--map question=q --map options=a,b,c,d --map answer=gold --answer-format index1"
    )
)
@click.argument("input_path", metavar="INPUT")
@click.option("--set", "set_name", required=True, help="the medfr set the rows belong to")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="JSONL out")
@click.option(
    "--map",
    "pairs",
    multiple=True,
    metavar="OURS=THEIRS",
    help="column mapping; options may list several columns: options=opa,opb,opc,opd",
)
@click.option(
    "--answer-format", type=click.Choice(ANSWER_FORMATS), default="letter", show_default=True
)
@click.option("--split", default="test", show_default=True)
@click.option("--config", default=None, help="the Hub dataset's configuration name")
def convert(
    input_path: str,
    set_name: str,
    output: Path,
    pairs: tuple[str, ...],
    answer_format: str,
    split: str,
    config: str | None,
) -> None:
    """Turn a JSONL/JSON/CSV/parquet file or a Hub dataset into our schema (atomic write)."""
    from medfr_eval.data.load import convert_row
    from medfr_eval.data.records import validate_records

    es = _set(set_name)
    src = HubSource(
        path=input_path,
        name=config,
        split=split,
        columns=_parse_map(pairs),
        answer_format=answer_format,
    )
    if output.is_dir():
        raise DataError("is a folder; give the JSONL file to write", file=output, field="--output")
    rows = _read_any(input_path, split, config)
    records = validate_records(
        es,
        (
            (loc, line, convert_row(es, row, src, {"file": loc, "line": line}, number))
            for number, (loc, line, row) in enumerate(rows, start=1)
        ),
        input_path,
    )
    write_jsonl_atomic(records, output)
    click.echo(f"{command_path('data')}: wrote {len(records)} {es.task} items to {output}")


@data.command(epilog="Example: medfr data show frmedmcqa -n 2")
@click.argument("set_name", metavar="NAME")
@click.option(
    "--data", "source", default="sample", show_default=True, help="sample, hub or a folder"
)
@click.option(
    "-n", "count", type=click.IntRange(min=1), default=1, show_default=True, help="how many items"
)
@click.option("--prompts", default=None, help="a folder of replacement prompt templates")
def show(set_name: str, source: str, count: int, prompts: str | None) -> None:
    """Print rendered prompts of a set, each with its expected answer."""
    from medfr_eval.data.load import build_docs, load_records
    from medfr_eval.data.prompts import prompt_dir_from

    es = _set(set_name, "NAME")
    docs = build_docs(es, load_records(es.name, source), prompt_dir_from(prompts))
    if source == "sample":  # a made-up item must never pass for one of the real set
        click.echo(
            f"note: a sample item shipped with medfr, written for illustration, not from the "
            f"real {es.title} set (--data DIR shows your own files)\n"
        )
    for doc in docs[:count]:
        click.echo(doc["prompt"])
        target = doc["choices"][doc["gold"]] if "choices" in doc else doc["answer"]
        click.echo(f"\n[expected answer: {target}]\n" + "-" * 60)
