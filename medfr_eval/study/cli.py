"""``medfr study``: a whole study in one command, checked, evaluated, paired, published, compared.

``check`` reads a study file (and its paper table) and runs nothing; ``plan`` says where
each model stands in a run folder and prints its lm-eval command; ``run`` evaluates every
model not done yet, then publishes; ``launch`` writes the same work as SLURM jobs (one
array task per model, then a final job that publishes); ``publish`` pairs (``medfr signif``), compares with
the paper and builds the board; ``compare`` prints and writes the comparison with the
paper's tables. Every error is one line (``medfr_eval.cli.run``).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from medfr_eval.cli import FullHelpGroup

_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
_PATH = click.Path(path_type=Path)


def _pairs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for text in values:
        name, sep, path = text.partition("=")
        if not sep or not name or not path:
            raise click.BadParameter(f"expected NAME=PATH, got {text!r}")
        out[name] = path
    return out


def study_options(f):
    """STUDY and the command-line values every command that reads a study takes."""
    f = click.option("--model-path", "model_paths", multiple=True, callback=_pairs, metavar="NAME=PATH",
                     help="evaluate a local folder for the study's model NAME; repeatable")(f)  # fmt: skip
    f = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                     help="override a study key (e.g. evaluation.batch_size=8); repeatable")(f)  # fmt: skip
    return click.argument("study_file", metavar="STUDY")(f)


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=True, highlight=False)


def _load(study_file: str, overrides, model_paths):
    from .load import load_study

    return load_study(study_file, overrides=overrides, model_paths=model_paths)


def _warn_unconfirmed(study, say) -> None:
    for m in study.models:
        if m.hub_id and m.hub_id_confirmed is False and m.path is None:
            say(f"warning: {m.name}: Hub id {m.hub_id} is not confirmed ({m.note})")


@click.group("study", cls=FullHelpGroup, context_settings=_SETTINGS,
             epilog="Example: medfr study run belmadani2025 -o runs/belmadani2025")  # fmt: skip
def study() -> None:
    """Reproduce a study: evaluate its models, pair them, publish, compare with the paper."""


@study.command(epilog="Example: medfr study check belmadani2025")
@study_options
def check(study_file, overrides, model_paths) -> None:
    """Read and check a study file and its paper table; nothing is run."""
    s = _load(study_file, overrides, model_paths)
    out = _console()
    figures = 0
    if s.paper is not None:
        from .paper import load_paper_table

        figures = len(load_paper_table(s.paper.tables, s))
    out.print(f"{s.path}: study {s.name}, {len(s.models)} models, {len(s.leaves)} sets, "
              f"{len(s.all_pairs())} pairs, {figures} published figures", markup=False)  # fmt: skip
    _warn_unconfirmed(s, lambda m: out.print(m, markup=False))


@study.command(epilog="Example: medfr study plan belmadani2025 -o runs/belmadani2025")
@study_options
@click.option("-o", "--output", type=_PATH, required=True, help="the run folder")
def plan(study_file, overrides, model_paths, output: Path) -> None:
    """Where each model stands in a run folder, and the lm-eval command that evaluates it."""
    from .plan import Layout, cache_prefix, lm_eval_argv, lm_eval_env, status

    s = _load(study_file, overrides, model_paths)
    lay = Layout(output.resolve())
    out = _console()
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in lm_eval_env(s).items())
    for m in s.models:
        st = status(s, lay, m)
        why = f" ({st.problems[0]})" if st.problems else ""
        out.print(f"{m.name}: {st.state}{why}", markup=False)
        argv = lm_eval_argv(s, m, lay.model_dir(m), cache_prefix(lay, s, m))
        out.print("  " + (env + " " if env else "") + shlex.join(argv), markup=False)


def _progress(console, total: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("models"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)  # fmt: skip


@study.command(epilog="Example: medfr study run belmadani2025 -o runs/belmadani2025")
@study_options
@click.option("-o", "--output", type=_PATH, required=True, help="the run folder")
@click.option("--only", multiple=True, metavar="NAME",
              help="evaluate this model only (a SLURM array task); repeatable; does not publish")  # fmt: skip
@click.option(
    "--no-publish", is_flag=True, help="evaluate only; publish later with medfr study publish"
)
def run(study_file, overrides, model_paths, output: Path, only, no_publish: bool) -> None:
    """Evaluate every model not done yet (resumable), then pair, compare and build the board."""
    from .plan import Layout
    from .publish import publish, publish_paths
    from .run import preflight, run_models, select

    s = _load(study_file, overrides, model_paths)
    models = select(s, only)
    lay = Layout(output.resolve())
    out = _console()

    def say(message: str) -> None:
        out.print(message, markup=False)

    _warn_unconfirmed(s, say)
    preflight(s)
    with _progress(out, len(models)) as bar:
        task = bar.add_task("models", total=len(models))
        run_models(s, lay, models, say, advance=lambda: bar.advance(task))
    if only or no_publish:
        say(
            f"evaluated; publish with: medfr study publish {shlex.quote(study_file)} -o {shlex.quote(str(output))}"
        )
        return
    publish(s, lay, say)
    for what, path in publish_paths(lay).items():
        if path.exists():
            say(f"{what}: {path}")


@study.command(
    epilog="Example: medfr study launch belmadani2025 -o runs/belmadani2025 --slurm study.sbatch"
)
@study_options
@click.option("-o", "--output", type=_PATH, required=True, help="the run folder")
@click.option("--slurm", "slurm", type=_PATH, required=True, metavar="FILE",
              help="the submitter to write; the array and the final job beside it (study.sbatch: study.eval.sbatch, study.publish.sbatch)")  # fmt: skip
@click.option("--only", multiple=True, metavar="NAME", help="launch this model only; repeatable")
@click.option("--partition", help="SLURM partition of every job")
@click.option("--account", help="SLURM account of every job")
@click.option("--time", help="time limit of each array task, e.g. 12:00:00")
@click.option("--cpus-per-task", type=click.IntRange(min=1), help="CPUs of each array task")
@click.option("--mem", help="memory of each array task, e.g. 64G")
@click.option("--gres", is_flag=True, help="ask GPUs as --gres=gpu:G")
@click.option("--array-parallel", type=click.IntRange(min=1), metavar="N",
              help="at most N array tasks at a time")  # fmt: skip
@click.option("--sbatch", "extra", multiple=True, metavar="OPT",
              help="extra #SBATCH option of the array, e.g. --sbatch=--constraint=h100; repeatable")  # fmt: skip
@click.option("--publish-partition", help="partition of the submitter and the final job (default: --partition)")  # fmt: skip
@click.option("--publish-time", help="time limit of the final job")
@click.option("--log-dir", type=_PATH, help="the jobs' logs (default: RUN/logs/slurm)")
def launch(study_file, overrides, model_paths, output: Path, slurm: Path, only, **opts) -> None:
    """Write SLURM scripts: one array task per model, then a job that pairs and publishes."""
    from .launch import SlurmSettings, render_scripts, write_scripts
    from .run import preflight

    s = _load(study_file, overrides, model_paths)
    out = _console()
    _warn_unconfirmed(s, lambda m: out.print(m, markup=False))
    preflight(s)
    settings = SlurmSettings(**{**opts, "extra": list(opts["extra"])})
    scripts = render_scripts(s, output, slurm, settings, only)
    write_scripts(scripts)
    for m in scripts.done:
        out.print(f"{m.name}: done, no array task", markup=False)
    if scripts.tasks:
        names = ", ".join(m.name for m in scripts.tasks)
        out.print(f"{len(scripts.tasks)} array task(s), {scripts.gpus} GPU(s) each: {names}",
                  markup=False)  # fmt: skip
    written = ", ".join(str(p) for p, _ in scripts.files())
    out.print(f"written: {written}", markup=False)
    sub = shlex.quote(str(slurm))
    out.print(f"submit with: sbatch {sub} (or bash {sub} on a login node)", markup=False)


@study.command(epilog="Example: medfr study publish belmadani2025 -o runs/belmadani2025")
@study_options
@click.option("-o", "--output", type=_PATH, required=True, help="the run folder")
@click.option("--force", is_flag=True, help="rebuild even when nothing changed")
def publish(study_file, overrides, model_paths, output: Path, force: bool) -> None:
    """Pair the models (medfr signif), compare with the paper and build the board."""
    from .plan import Layout
    from .publish import publish as do_publish
    from .publish import publish_paths

    s = _load(study_file, overrides, model_paths)
    lay = Layout(output.resolve())
    out = _console()
    do_publish(s, lay, lambda m: out.print(m, markup=False), force=force)
    for what, path in publish_paths(lay).items():
        if path.exists():
            out.print(f"{what}: {path}", markup=False)


@study.command(epilog="Example: medfr study compare runs/belmadani2025 --paper")
@click.argument("run_dir", metavar="RUN", type=_PATH)
@click.option("--paper", "paper", is_flag=False, flag_value="", default=None, metavar="[CSV]",
              help="compare with the study's paper tables, or with the tables of CSV")  # fmt: skip
@click.option(
    "--out", type=_PATH, help="where to write compare.{json,csv,md,png,svg} (default: RUN/compare)"
)
@click.option(
    "--resamples", type=click.IntRange(min=1), help="bootstrap resamples (default: the study's)"
)
@click.option("--seed", type=int, help="bootstrap seed (default: the study's)")
def compare(run_dir: Path, paper, out, resamples, seed) -> None:
    """This run's scores beside the paper's tables: intervals, reproduced / above / below."""
    from .compare import compare_run
    from .report import text_table, write_report

    if paper is None:
        raise click.UsageError(
            "say what to compare with: --paper (the study's tables) or --paper CSV"
        )
    result = compare_run(
        run_dir, paper=Path(paper) if paper else None, resamples=resamples, seed=seed
    )
    written = write_report(result, out or run_dir / "compare")
    console = _console()
    console.print(text_table(result), markup=False, end="")
    console.print("Wrote: " + ", ".join(str(p) for p in written), markup=False)
