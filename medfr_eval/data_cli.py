"""``medfr-data``: list the sets, check a data file, convert users' files, show prompts.

    medfr-data list
    medfr-data validate DIR_OR_FILE [--set NAME]
    medfr-data convert INPUT --set NAME -o OUT.jsonl [--map ours=theirs ...]
                       [--answer-format letter|index0|index1|text] [--split test] [--config NAME]
    medfr-data show NAME [--data sample|hub|DIR] [-n 1] [--prompts DIR]

``convert`` reads JSONL/JSON/CSV/parquet files, a local ``datasets`` folder or
a Hub dataset id, maps columns onto our schema, validates every row and writes
the JSONL atomically (temp file, then rename): a failure leaves nothing behind.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from medfr_eval.errors import DataError, MedfrError
from medfr_eval.fileio import write_text_atomic
from medfr_eval.sets import SETS, get_set
from medfr_eval.sources import ANSWER_FORMATS, HubSource, get_source


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


def cmd_list(args: argparse.Namespace) -> int:
    rows = []
    for s in SETS:
        src = get_source(s.name, args.hub_sources)
        rows.append([s.task, s.family, s.kind, str(s.study_size), s.metric, src.path or "—"])
    _print_table(
        ["task", "family", "kind", "study size", "metric", "hub"],
        rows,
        title="medfr: the study's 15 French medical sets",
    )
    if args.origins:
        for s in SETS:
            print(f"{s.task}: {get_source(s.name, args.hub_sources).origin}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from medfr_eval.data import read_jsonl, validate_records

    target = Path(args.path)
    if target.is_dir():
        files = sorted(target.glob("*.jsonl"))
        if not files:
            raise DataError("no .jsonl files in this folder", file=target)
    elif target.is_file():
        files = [target]
    else:
        raise DataError("no such file or folder", file=target)
    rows = []
    for path in files:
        es = get_set(args.set or path.stem)
        records = validate_records(es, read_jsonl(path), path)
        rows.append([str(path), es.task, str(len(records)), "ok"])
    _print_table(["file", "task", "items", "status"], rows)
    return 0


def _read_any(path: str, split: str, config: str | None) -> list[dict]:
    p = Path(path)
    if p.suffix == ".jsonl":
        from medfr_eval.data import read_jsonl

        return [row for _, row in read_jsonl(p)]
    if p.suffix == ".json":
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"not valid JSON: {exc.msg}", file=p, line=exc.lineno) from exc
        if isinstance(data, dict):
            data = data.get(split, data.get("data"))
        if not isinstance(data, list):
            raise DataError("expected a JSON list of objects (or {split: [...]})", file=p)
        return data
    if p.suffix == ".csv":
        import csv

        with p.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    if p.suffix == ".parquet":
        import datasets

        return list(datasets.load_dataset("parquet", data_files=str(p), split="train"))
    if p.suffix and p.exists():
        raise DataError("unsupported file type; use .jsonl, .json, .csv, .parquet", file=p)
    import datasets  # a local datasets folder or a Hub id

    try:
        return list(datasets.load_dataset(path, config, split=split))
    except Exception as exc:
        raise DataError(f"could not load {path!r} (split {split!r}): {exc}", file=path) from exc


def _parse_map(pairs: list[str]) -> dict:
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
    write_text_atomic(out, "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records))


def cmd_convert(args: argparse.Namespace) -> int:
    from medfr_eval.data import convert_row, validate_records

    es = get_set(args.set)
    src = HubSource(
        path=args.input,
        name=args.config,
        split=args.split,
        columns=_parse_map(args.map),
        answer_format=args.answer_format,
    )
    rows = _read_any(args.input, args.split, args.config)
    converted = (
        (i, convert_row(es, row, src, {"file": args.input, "line": i}))
        for i, row in enumerate(rows, start=1)
    )
    records = validate_records(es, converted, args.input)
    write_jsonl_atomic(records, Path(args.output))
    print(f"medfr-data: wrote {len(records)} {es.task} items to {args.output}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from medfr_eval.data import build_docs, load_records
    from medfr_eval.prompts import prompt_dir_from

    es = get_set(args.set)
    docs = build_docs(es, load_records(es.name, args.data), prompt_dir_from(args.prompts))
    for doc in docs[: args.n]:
        print(doc["prompt"])
        target = doc["choices"][doc["gold"]] if "choices" in doc else doc["answer"]
        print(f"\n[réponse attendue : {target}]\n" + "-" * 60)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medfr-data", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="the 15 sets, their tasks, sizes and sources")
    p.add_argument(
        "--hub-sources", default=None, help="a sources YAML file (see medfr_eval/sources.py)"
    )
    p.add_argument("--origins", action="store_true", help="also say where each set comes from")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("validate", help="check <set>.jsonl files against the schema")
    p.add_argument("path")
    p.add_argument("--set", default=None, help="set name (default: the file name)")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser(
        "convert", help="turn a JSONL/JSON/CSV/parquet file or a Hub dataset into our schema"
    )
    p.add_argument("input")
    p.add_argument("--set", required=True)
    p.add_argument("-o", "--output", required=True)
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="OURS=THEIRS",
        help="column mapping; options may list several columns: options=opa,opb,opc,opd",
    )
    p.add_argument("--answer-format", choices=ANSWER_FORMATS, default="letter")
    p.add_argument("--split", default="test")
    p.add_argument("--config", default=None)
    p.set_defaults(func=cmd_convert)
    p = sub.add_parser("show", help="print rendered prompts of a set")
    p.add_argument("set")
    p.add_argument("--data", default="sample", help="sample, hub or a folder (default: sample)")
    p.add_argument("-n", type=int, default=1)
    p.add_argument("--prompts", default=None, help="a folder of replacement prompt templates")
    p.set_defaults(func=cmd_show)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (MedfrError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"medfr-data: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
