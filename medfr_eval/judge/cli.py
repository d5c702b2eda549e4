"""``medfr judge``: commands around the LLM judge (today: agreement with human labels)."""

from __future__ import annotations

from pathlib import Path

import click

from medfr_eval.cli import FullHelpGroup
from medfr_eval.core.errors import DataError
from medfr_eval.judge.agreement import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED


@click.group(
    cls=FullHelpGroup, epilog="Example: medfr judge agreement labels.jsonl out/model-a out/model-b"
)
def judge() -> None:
    """The LLM judge of open-QA answers (MEDFR_JUDGE_MODEL, MEDFR_JUDGE_URL)."""


@judge.command(
    epilog="Example: medfr judge agreement labels.jsonl base=out/base sft=out/sft --out agreement"
)
@click.argument("labels", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("runs", nargs=-1, required=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),  # checked by the output-folder rules, in one line
    default=None,
    help="Folder for agreement.json, agreement.txt and agreement.png.",
)
@click.option(
    "--resamples",
    type=click.IntRange(min=100),
    default=BOOTSTRAP_RESAMPLES,
    show_default=True,
    help="Bootstrap resamples for the agreement interval.",
)
@click.option("--seed", type=int, default=BOOTSTRAP_SEED, show_default=True)
def agreement(
    labels: Path, runs: tuple[str, ...], out: Path | None, resamples: int, seed: int
) -> None:
    """How well the judge agrees with human 0/1 labels, overall and per generating model.

    LABELS is JSONL ({"doc_id", "model", "human": 0|1}, optional "task"); each
    RUN is one model's lm-eval output folder judged with --log_samples, as PATH
    or NAME=PATH (NAME matching the labels' "model"). --out is a new folder or
    one this command wrote: it is replaced whole, and a folder holding other
    files is refused."""
    from medfr_eval.core.fileio import check_output_folder
    from medfr_eval.judge import labels as labels_mod
    from medfr_eval.judge import report

    if out is not None:  # refused before any work, checked again when written
        check_output_folder(out, report.OUTPUT_FILES, field="--out")
    rows = labels_mod.read_labels(labels)
    judged = {}
    for spec in runs:
        name, items = labels_mod.read_run(spec)
        if name in judged:
            raise DataError(f"two runs named {name!r}; name them NAME=PATH", field="RUN")
        judged[name] = items
    pairs, unparsable, identity = labels_mod.pair_up(rows, judged)
    if not pairs:
        raise DataError("no label has a parsable judge verdict", file=labels)
    stats = report.compute(pairs, resamples, seed)
    click.echo(
        f"judge: {identity.get('model')} @ {identity.get('endpoint')}, "
        f"template {identity.get('template_sha256', '')[:12]}"
    )
    click.echo(report.table(stats))
    if unparsable:
        click.echo(f"{len(unparsable)} labelled item(s) with an unparsable verdict left out")
    if out is not None:
        report.write(out, stats, pairs, unparsable, identity, resamples, seed)
        click.echo(f"wrote {out}/agreement.json, agreement.txt, agreement.png")
