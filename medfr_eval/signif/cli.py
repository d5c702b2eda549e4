"""``medfr signif`` / ``medfr-signif``: is model A really better than model B on a set?

Reads the output folders of ``lm_eval ... --log_samples --output_path``, runs the
paired percentile bootstrap for every (pair of models, set), corrects over the
run's comparisons and writes ``signif.json`` (read by the leaderboard),
``signif.csv``, ``signif.md`` and the win/tie/loss plot (PNG, SVG). Errors go
through :func:`medfr_eval.cli.run` (one ``error:`` line, exit 2).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click
from rich.markup import escape

from medfr_eval.core.errors import SignifError
from medfr_eval.core.sets import BY_TASK, GROUPS

from . import pairs as pairs_mod
from .compare import Report, compare
from .corrections import CORRECTIONS, TESTS
from .labels import DECISION_LABELS, FAMILY_LABELS, set_title
from .pairs import baseline_pairs, load_pairs, preset_names
from .report import write_outputs
from .runs import load_runs


def _names(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for text in values:
        key, sep, name = text.rpartition("=")
        if not sep or not key or not name:
            raise click.BadParameter(f"expected RUN_DIR=NAME, got {text!r}")
        out[key] = name
    return out


def _tasks(ctx: click.Context, param: click.Parameter, text: str | None) -> list[str] | None:
    if text is None:
        return None
    out: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part in GROUPS:
            out.extend(GROUPS[part])
            continue
        task = part if part.startswith("medfr_") else f"medfr_{part}"
        if task not in BY_TASK:
            raise click.BadParameter(f"unknown medfr set or group {part!r}")
        out.append(task)
    if not out:
        raise click.BadParameter("no set named")
    return out


def _track(console) -> Any:
    from rich.progress import track

    def run(items: Iterable[Any], description: str, total: int) -> Iterable[Any]:
        return track(items, description=description, total=total, console=console, transient=True)

    return run


def _wtl_table(report: Report):
    from rich.table import Table

    fams = report.families()
    table = Table(title="Wins / ties / losses (share of sets, from model_a's side)")
    table.add_column("comparison", overflow="fold")
    for f in fams:
        table.add_column(FAMILY_LABELS[f], justify="center", overflow="fold")
    for pair in report.pairs:
        cells = []
        for f in fams:
            w = report.win_rate(pair, f)
            cells.append(
                f"[green]{w['win']:.2f}[/] / {w['tie']:.2f} / [red]{w['loss']:.2f}[/] ({w['n_sets']})"
                if w
                else "–"
            )
        table.add_row(escape(pair.title()), *cells)
    return table


def _details_table(report: Report):
    from rich.table import Table

    det = Table(title="Comparisons")
    for col in ("comparison", "set", "n", "A", "B", "A - B", "interval", "p adj.", "decision"):
        right = col in ("n", "A", "B", "A - B", "p adj.")
        det.add_column(col, justify="right" if right else "left", overflow="fold",
                       no_wrap=right or col == "decision")  # fmt: skip
    style = {"win": "green", "loss": "red", "tie": "dim"}
    for c in report.comparisons:
        r = c.result
        mark = " (clusters)" if r.kind == "cluster" else ""
        det.add_row(
            escape(c.pair.title()),
            set_title(c.task) + mark,
            str(c.n),
            f"{c.score_a:.3f}",
            f"{c.score_b:.3f}",
            f"{r.estimate:+.3f}",
            f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]",
            f"{c.p_adjusted:.4f}",
            f"[{style[r.decision]}]{DECISION_LABELS[r.decision]}[/]",
        )
    return det


def _gap_table(report: Report):
    from rich.table import Table

    table = Table(title="Translation gap (French - English, same items)")
    for col in ("model", "set", "n", "fr", "en", "gap", "interval", "p adj."):
        left = col in ("model", "set", "interval")
        table.add_column(
            col, justify="left" if left else "right", overflow="fold", no_wrap=not left
        )
    for g in report.translation_gap:
        table.add_row(escape(g["model"]), set_title(g["task"]), str(g["n"]),
                      f"{g['score_fr']:.3f}", f"{g['score_en']:.3f}", f"{g['gap']:+.3f}",
                      f"[{g['ci_low']:+.3f}, {g['ci_high']:+.3f}]", f"{g['p_adjusted']:.4f}")  # fmt: skip
    return table


def print_report(report: Report, console, details: bool = False) -> None:
    """The summary table (win/tie/loss per family), and every comparison if asked.

    Cells fold rather than end in "…": a narrow terminal or a pipe wraps a model
    name or an interval over lines, never cuts it.

    Names and paths come from input files: they are escaped (a path holding
    ``[/x]`` must not be read as rich markup) and notes are printed as plain text."""
    if report.comparisons and (details or len(report.comparisons) <= 40):
        console.print(_details_table(report))
    if report.comparisons:
        console.print(_wtl_table(report))
    if report.translation_gap:
        console.print(_gap_table(report))
    for note in report.notes:
        console.print(f"• {note}", highlight=False, markup=False, soft_wrap=True)


@click.command(
    "signif",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: medfr signif out/ --pairs study --out signif",
)
@click.argument("runs", nargs=-1, required=True, metavar="RUNS...")
@click.option(
    "--pairs",
    metavar="FILE|PRESET",
    help=f"YAML of pairs (model_a, model_b), or a shipped preset: {', '.join(preset_names())}",
)
@click.option("--all-pairs", is_flag=True, help="every pair of models (the default)")
@click.option("--baseline", metavar="NAME", help="every model against NAME")
@click.option(
    "--name",
    "names",
    multiple=True,
    callback=_names,
    metavar="RUN_DIR=NAME",
    help="rename a run (by folder or by model name); repeatable",
)
@click.option(
    "--tasks",
    callback=_tasks,
    metavar="SETS",
    help="comma-separated sets or groups (e.g. medfr_openqa,pubmedqa); default: all logged",
)
@click.option(
    "--resamples",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="bootstrap resamples per comparison (the study: 10000)",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="family-wise level",
)
@click.option(
    "--correction",
    type=click.Choice(CORRECTIONS),
    default="bonferroni",
    show_default=True,
    help="over the m comparisons of the run (the study: bonferroni; bh: Benjamini-Hochberg)",
)
@click.option(
    "--test",
    type=click.Choice(TESTS),
    default="bootstrap",
    show_default=True,
    help="what decides: the paired bootstrap (the study), exact McNemar (0/1 metrics) "
    "or the paired sign-flip permutation test",
)
@click.option(
    "--allow-setting-mismatch",
    is_flag=True,
    help="compare runs scored under different settings (generation kwargs, few-shot, "
    "scorer), with a warning; refused by default",
)
@click.option(
    "--translation-gap",
    is_flag=True,
    help="also compare each translated set with its English twin (medfr_en_<set>) "
    "for the same run; one run is enough",
)
@click.option("--seed", type=int, default=0, show_default=True, help="same seed, same intervals")
@click.option(
    "--no-cluster",
    is_flag=True,
    help="resample FrClinicalQA's questions one by one (the study) instead of whole cases",
)
@click.option(
    "--ignore-prompt-hash",
    is_flag=True,
    help="pair items whose prompts differ (e.g. a chat template for one model only)",
)
@click.option(
    "--lenient",
    is_flag=True,
    help="warn and use the intersection instead of stopping on mismatched logs",
)
@click.option("--out", default="signif", metavar="DIR", show_default=True, help="output folder")
@click.option("--details", is_flag=True, help="print every comparison, not only the summary")
def signif(runs, pairs, all_pairs: bool, baseline, names, tasks, resamples, alpha, correction,
           test, allow_setting_mismatch, translation_gap, seed, no_cluster, ignore_prompt_hash,
           lenient, out, details) -> int:  # fmt: skip
    """Paired tests over lm-eval sample logs (the study's: the percentile bootstrap).

    Per pair of models and set: the difference of the metric, its interval,
    p-value and win/tie/loss decision; win rates per family of sets. RUNS are
    lm-eval --output_path folders (one sub-folder per model) or model folders.
    """
    from rich.console import Console

    if sum(bool(x) for x in (pairs, all_pairs, baseline)) > 1:
        raise click.UsageError("--pairs, --all-pairs and --baseline exclude each other")
    console, err = Console(), Console(stderr=True)
    reading: list[str] = []

    def warn(message: str) -> None:
        err.print(f"warning: {message}", highlight=False, markup=False, soft_wrap=True)

    def warn_reading(message: str) -> None:
        reading.append(message)
        warn(message)

    loaded = load_runs(runs, names=names, tasks=tasks, cluster=not no_cluster, lenient=lenient,
                       warn=warn_reading, track=_track(err), twins=translation_gap)  # fmt: skip
    if pairs:
        chosen = load_pairs(pairs)
    elif baseline:
        chosen = baseline_pairs(loaded, baseline)
    elif len(loaded) < 2:
        if not translation_gap:
            raise SignifError(
                f"one model only ({loaded[0].name}); give at least two runs", field="RUNS"
            )
        chosen = []
    else:
        chosen = pairs_mod.all_pairs(loaded)
    report = compare(loaded, chosen, resamples=resamples, alpha=alpha, correction=correction,
                     seed=seed, lenient=lenient, check_prompts=not ignore_prompt_hash,
                     track=_track(err), warn=warn, test=test,
                     allow_mismatch=allow_setting_mismatch, translation_gap=translation_gap,
                     reading_warnings=reading)  # fmt: skip
    written = write_outputs(report, out)
    print_report(report, console, details=details)
    console.print("Wrote: " + ", ".join(str(p) for p in written), highlight=False, markup=False,
                  soft_wrap=True)  # fmt: skip
    return 0
