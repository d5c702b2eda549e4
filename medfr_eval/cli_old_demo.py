"""``medfr``: the package's front door. ``medfr demo`` runs the whole study in miniature.

Subcommands:
  demo [--out DIR] [--steps a,b] [--fast] [--force] [--list]

The heavy work lives in :mod:`medfr_eval.demo`, which drives the public
commands (``medfr-train``, ``lm_eval``, ``medfr-signif``, ``medfr-leaderboard``)
in subprocesses; this module only parses arguments, so ``medfr --help`` is instant.
Exit codes: 0 success, 2 bad input or a failed step (one message naming the
step and its log file), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys

from medfr_eval.errors import MedfrError


def _parser() -> argparse.ArgumentParser:
    from medfr_eval.demo import STEP_NAMES

    p = argparse.ArgumentParser(
        prog="medfr",
        description="medfr: French medical LLM evaluation and adaptation (Belmadani et al., TALN 2025).",
    )
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser(
        "demo",
        help="the whole study in miniature, offline, on CPU (under 10 minutes)",
        description=(
            "Tokenizer + tiny Mistral pre-trained on the shipped French corpus; CPT, DoRA SFT "
            "and CPT+SFT with the demo recipes; lm_eval on the 15 sample sets; medfr-signif; "
            "the leaderboard site. Finished steps are reused."
        ),
    )
    d.add_argument(
        "--out", default="medfr-demo", metavar="DIR", help="working folder (default ./medfr-demo)"
    )
    d.add_argument(
        "--steps",
        metavar="A,B",
        help=f"run only these steps, in the demo's order: {','.join(STEP_NAMES)}",
    )
    d.add_argument(
        "--fast",
        action="store_true",
        help="test setting: a few training steps per recipe, a few items per set",
    )
    d.add_argument("--force", action="store_true", help="redo the selected steps even if done")
    d.add_argument(
        "--list", action="store_true", help="print the steps and their commands, run nothing"
    )
    return p


def _list_steps(args) -> int:
    from pathlib import Path

    from rich.console import Console
    from rich.markup import escape

    from medfr_eval.demo import Layout, build_plan, display, select_steps, step_done

    console = Console()
    lay = Layout(Path(args.out).resolve())
    plan = build_plan(lay.root, fast=args.fast)
    for name in select_steps(args.steps):
        step = plan[name]
        state = "[green]fait[/]" if step_done(lay, plan, name) else "[yellow]à faire[/]"
        console.print(f"[bold]{name}[/] ({state}) — {step.title}")
        for unit in step.units:
            console.print(f"  $ {escape(display(unit.argv))}", soft_wrap=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage; return it as main's status
        return int(exc.code or 0)
    from medfr_eval.demo import run_demo

    try:
        if args.list:
            return _list_steps(args)
        run_demo(args.out, steps=args.steps, fast=args.fast, force=args.force)
    except MedfrError as exc:
        print(f"medfr demo: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(
            "medfr demo: interrupted; finished steps are kept and will be reused", file=sys.stderr
        )
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
