"""``medfr-signif``: is model A really better than model B on a set? The study's test.

Reads the output folders of ``lm_eval ... --log_samples --output_path``, runs the
paired percentile bootstrap for every (pair of models, set), corrects over the
run's comparisons and writes ``signif.json`` (read by the leaderboard),
``signif.csv``, ``signif.md`` and the win/tie/loss plot (PNG, SVG).

Examples::

    medfr-signif out/ --pairs study                # the study's comparisons A-K
    medfr-signif out/ --baseline Mistral-7B-v0.1   # everyone against one model
    medfr-signif out/a out/b --all-pairs --name out/a=mon-modele
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from medfr_eval import bootstrap as bs
from medfr_eval import signif
from medfr_eval.errors import MedfrError
from medfr_eval.sets import BY_TASK, GROUPS

PROG = "medfr-signif"


def _name_override(text: str) -> tuple[str, str]:
    key, sep, name = text.rpartition("=")
    if not sep or not key or not name:
        raise argparse.ArgumentTypeError(f"expected RUN_DIR=NAME, got {text!r}")
    return key, name


def _tasks(text: str) -> list[str]:
    out: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part in GROUPS:
            out.extend(GROUPS[part])
            continue
        task = part if part.startswith("medfr_") else f"medfr_{part}"
        if task not in BY_TASK:
            raise argparse.ArgumentTypeError(f"unknown medfr set or group {part!r}")
        out.append(task)
    if not out:
        raise argparse.ArgumentTypeError("no set named")
    return out


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _alpha(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Paired percentile bootstrap over lm-eval sample logs (the study's significance "
            "test): per pair of models and set, the difference of the metric, its interval, "
            "p-value and win/tie/loss decision; win rates per family of sets."
        ),
    )
    p.add_argument(
        "runs",
        nargs="+",
        metavar="RUNS",
        help="lm-eval --output_path folders (one sub-folder per model) or model folders",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--pairs",
        metavar="FILE|PRESET",
        help=f"YAML of pairs (model_a, model_b), or a shipped preset: {', '.join(signif.preset_names())}",
    )
    which.add_argument(
        "--all-pairs", action="store_true", help="every pair of models (the default)"
    )
    which.add_argument("--baseline", metavar="NAME", help="every model against NAME")
    p.add_argument(
        "--name",
        action="append",
        type=_name_override,
        default=[],
        metavar="RUN_DIR=NAME",
        help="rename a run (by folder or by model name); repeatable",
    )
    p.add_argument(
        "--tasks",
        type=_tasks,
        help="comma-separated sets or groups (e.g. medfr_openqa,pubmedqa); default: all logged",
    )
    p.add_argument("--resamples", type=_positive_int, default=10_000, help="default 10000")
    p.add_argument("--alpha", type=_alpha, default=0.05, help="family-wise level, default 0.05")
    p.add_argument(
        "--correction",
        choices=bs.CORRECTIONS,
        default="bonferroni",
        help="over the m comparisons of the run (default bonferroni, as the study)",
    )
    p.add_argument("--seed", type=int, default=0, help="default 0")
    p.add_argument(
        "--no-cluster",
        action="store_true",
        help="resample FrClinicalQA's questions one by one (the study) instead of whole cases",
    )
    p.add_argument(
        "--ignore-prompt-hash",
        action="store_true",
        help="pair items whose prompts differ (e.g. a chat template for one model only)",
    )
    p.add_argument(
        "--lenient",
        action="store_true",
        help="warn and use the intersection instead of stopping on mismatched logs",
    )
    p.add_argument(
        "--out", default="signif", metavar="DIR", help="output folder (default ./signif)"
    )
    p.add_argument(
        "--details", action="store_true", help="print every comparison, not only the summary"
    )
    return p


def _track(console) -> Any:
    from rich.progress import track

    def run(items: Iterable[Any], description: str, total: int) -> Iterable[Any]:
        return track(items, description=description, total=total, console=console, transient=True)

    return run


def print_report(report: signif.Report, console, details: bool = False) -> None:
    """The summary table (win/tie/loss per family), and every comparison if asked."""
    from rich.table import Table

    fams = [f for f in signif.FAMILY_ORDER if any(w["family"] == f for w in report.win_rates)]
    table = Table(title="Victoires / égalités / défaites (part des jeux, côté model_a)")
    table.add_column("comparaison")
    for f in fams:
        table.add_column(signif.FAMILY_LABELS[f], justify="center")
    for pair in report.pairs:
        cells = []
        for f in fams:
            w = next(
                (x for x in report.win_rates
                 if (x["model_a"], x["model_b"], x["family"]) == (pair.model_a, pair.model_b, f)),
                None,
            )  # fmt: skip
            cells.append(
                f"[green]{w['win']:.2f}[/] / {w['tie']:.2f} / [red]{w['loss']:.2f}[/] ({w['n_sets']})"
                if w
                else "–"
            )
        table.add_row(pair.title(), *cells)
    if details or len(report.comparisons) <= 40:
        det = Table(title="Comparaisons")
        for col in ("comparaison", "jeu", "n", "A", "B", "A - B", "intervalle", "p", "décision"):
            det.add_column(col, justify="right" if col in ("n", "A", "B", "A - B", "p") else "left")
        style = {"win": "green", "loss": "red", "tie": "dim"}
        for c in report.comparisons:
            r = c.result
            mark = " (grappes)" if r.kind == "cluster" else ""
            det.add_row(
                c.pair.title(),
                BY_TASK[c.task].title + mark,
                str(c.n),
                f"{c.score_a:.3f}",
                f"{c.score_b:.3f}",
                f"{r.estimate:+.3f}",
                f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]",
                f"{r.p_value:.4f}",
                f"[{style[r.decision]}]{signif._DECISION_FR[r.decision]}[/]",
            )
        console.print(det)
    console.print(table)
    for note in report.notes:
        console.print(f"• {note}", highlight=False)


def main(argv: Sequence[str] | None = None) -> int:
    from rich.console import Console

    args = build_parser().parse_args(argv)
    out = Console()
    err = Console(stderr=True)

    def warn(message: str) -> None:
        err.print(f"{PROG}: warning: {message}", highlight=False, markup=False)

    try:
        names = dict(args.name)
        runs = signif.load_runs(
            args.runs,
            names=names,
            tasks=args.tasks,
            cluster=not args.no_cluster,
            lenient=args.lenient,
            warn=warn,
            track=_track(err),
        )
        if args.pairs:
            pairs = signif.load_pairs(args.pairs)
        elif args.baseline:
            pairs = signif.baseline_pairs(runs, args.baseline)
        else:
            if len(runs) < 2:
                raise signif.SignifError(
                    f"one model only ({runs[0].name}); give at least two runs", field="RUNS"
                )
            pairs = signif.all_pairs(runs)
        report = signif.compare(
            runs,
            pairs,
            resamples=args.resamples,
            alpha=args.alpha,
            correction=args.correction,
            seed=args.seed,
            lenient=args.lenient,
            check_prompts=not args.ignore_prompt_hash,
            track=_track(err),
            warn=warn,
        )
        written = signif.write_outputs(report, args.out)
    except (MedfrError, bs.BootstrapInputError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    print_report(report, out, details=args.details)
    out.print("Écrit : " + ", ".join(str(p) for p in written), highlight=False)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
