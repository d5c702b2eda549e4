"""``medfr-leaderboard``: build the public board, register submissions, pin the reference.

Commands:
  build RUNS... [--signif signif.json] [--board DIR] [--reference FILE] -o site/
  add RESULTS_DIR [--board leaderboard/entries] [--reference FILE]
  reference RESULTS_DIR [-o leaderboard/reference.json]

Bad input or a refused submission prints one message and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from medfr_eval.errors import MedfrError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="medfr-leaderboard",
        description="Static leaderboard of French medical LLMs from lm-eval results.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser(
        "build", help="build the static site (works from file:// and any static host)"
    )
    b.add_argument(
        "runs", nargs="*", type=Path, help="lm-eval output folders (default: the board's entries)"
    )
    b.add_argument("-o", "--output", type=Path, required=True, help="site folder to (re)write")
    b.add_argument("--signif", type=Path, help="medfr-signif JSON (intervals, wins against base)")
    b.add_argument("--board", type=Path, help="entries folder (default: leaderboard/entries)")
    b.add_argument(
        "--reference",
        type=Path,
        help="board reference (default: reference.json beside the entries folder; "
        "if absent, the first run is the reference)",
    )

    a = sub.add_parser("add", help="check a submission and copy it into the board's entries")
    a.add_argument("results_dir", type=Path)
    a.add_argument("--board", type=Path, help="entries folder (default: leaderboard/entries)")
    a.add_argument("--reference", type=Path, help="board reference (default: beside --board)")

    r = sub.add_parser("reference", help="pin task versions and prompt hashes from a trusted run")
    r.add_argument("results_dir", type=Path)
    r.add_argument("-o", "--output", type=Path, help="default: leaderboard/reference.json")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage; return it as main's status
        return int(exc.code or 0)
    # Imported here so that `--help` stays instant; still no torch or lm-eval anywhere.
    from .build import add_submission, build_site, default_board, default_reference, pin_reference

    try:
        if args.command == "build":
            rows = build_site(
                args.runs,
                args.output,
                signif=args.signif,
                board=args.board,
                reference=args.reference,
            )
            print(f"{len(rows)} models -> {args.output / 'index.html'}")
        elif args.command == "add":
            dest = add_submission(args.results_dir, board=args.board, reference=args.reference)
            print(f"accepted: {dest}")
        else:
            out = args.output or default_reference(default_board())
            ref = pin_reference(args.results_dir, out)
            print(
                f"reference pinned from {ref['source_model']} ({len(ref['tasks'])} tasks) -> {out}"
            )
    except MedfrError as exc:
        print(f"medfr-leaderboard: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
