"""``medfr-train``: run, check and prepare training recipes.

Subcommands:
  recipe FILE [--resume] [--force] [--key value ...]   train (overrides are TrlParser style)
  check FILE [--skip-data] [--key value ...]          validate a recipe, write nothing
  validate-sft FILE...                                check SFT JSONL (file, line, field)
  prepare-corpus ...                                  build a CPT corpus (medfr_train.corpus)
  launch ...                                          accelerate / SLURM launch (medfr_train.launch)

Exit codes: 0 success, 2 bad input (one message naming file and field).
"""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="medfr-train", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("recipe", help="train a recipe (CPT, SFT or CPT+SFT)")
    r.add_argument("file")
    r.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    r.add_argument("--force", action="store_true", help="retrain stages already done")
    c = sub.add_parser("check", help="validate a recipe without training")
    c.add_argument("file")
    c.add_argument("--skip-data", action="store_true", help="do not look at data files")
    v = sub.add_parser("validate-sft", help="check SFT JSONL files")
    v.add_argument("files", nargs="+")
    sub.add_parser("prepare-corpus", help="prepare a CPT corpus", add_help=False)
    sub.add_parser("launch", help="launch with accelerate or SLURM", add_help=False)
    return p


def _print_check(recipe) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{recipe.path.name}: {recipe.strategy} -> {recipe.model_name}")
    for col in (
        "stage",
        "model",
        "data",
        "lr",
        "epochs",
        "batch x accum",
        "length",
        "peft",
        "output",
    ):
        table.add_column(col)
    for s in recipe.stages:
        a, m = s.args, s.model
        data = s.data.dataset_name or ", ".join(p.name for p in s.data.files) or "(not checked)"
        peft = (
            f"{'DoRA' if m.use_dora else 'LoRA'} r={m.lora_r} a={m.lora_alpha}"
            if m.use_peft
            else "full"
        )
        length = s.block_size if s.name == "cpt" else a.max_length
        table.add_row(
            s.name,
            str(m.model_name_or_path),
            data,
            f"{a.learning_rate:g}",
            f"{a.num_train_epochs:g}",
            f"{a.per_device_train_batch_size} x {a.gradient_accumulation_steps}",
            str(length),
            peft,
            str(s.output_dir),
        )
    console = Console()
    console.print(table)
    for note in recipe.notes:
        console.print(f"note: {note}")
    console.print("recipe OK")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "prepare-corpus":
        from medfr_train import corpus

        return corpus.main(argv[1:])
    if argv and argv[0] == "launch":
        from medfr_train import launch

        return launch.main(argv[1:])
    args, extra = _parser().parse_known_args(argv)
    from medfr_train.recipe import RecipeError
    from medfr_train.sft_data import SFTDataError

    try:
        if args.cmd == "validate-sft":
            if extra:
                raise RecipeError("command line", extra[0], "unexpected argument")
            from medfr_train.sft_data import main as validate_main

            return validate_main(args.files)
        if args.cmd == "check":
            from medfr_train.recipe import load_recipe

            _print_check(load_recipe(args.file, extra, check_data=not args.skip_data))
            return 0
        from medfr_train.runner import run_recipe

        result = run_recipe(args.file, extra, resume=args.resume, force=args.force)
        for name in result.skipped:
            print(f"stage {name}: already done with the same settings (use --force to retrain)")
        print(f"model: {result.model_dir}\nrun card: {result.run_cards[-1]}")
        return 0
    except (RecipeError, SFTDataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
