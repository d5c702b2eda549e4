"""``medfr-train prepare-corpus``: the click command over :func:`prepare_corpus`."""

from __future__ import annotations

import click

from medfr_train.corpus.config import DEDUP_SCOPES, LANG_SCOPES, CorpusConfig

_D = CorpusConfig()


def _option(name: str, **kwargs):
    """``--name-with-dashes`` defaulting to the ``CorpusConfig`` field ``name``."""
    flag = "--" + name.replace("_", "-")
    return click.option(flag, default=getattr(_D, name), show_default=True, **kwargs)


@click.command(
    "prepare-corpus",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: medfr train prepare-corpus nachos/ -o nachos.jsonl.gz --workers 8",
)
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, help="Output JSONL (.jsonl or .jsonl.gz).")
@click.option("--report", default=None, help="Report JSON (default: <output>.report.json).")
@click.option("--workers", type=int, default=1, show_default=True, help="Processes.")
@_option("text_field", help="JSONL field / parquet column.")
@_option("min_words", type=int)
@_option("min_chars", type=int)
@_option("max_chars", type=int)
@_option("min_letter_ratio", type=float)
@_option("max_digit_ratio", type=float)
@_option("max_punct_ratio", type=float)
@_option("max_char_repeat", type=int, help="0: no check.")
@click.option(
    "--no-boilerplate-filter", "no_boilerplate", is_flag=True, help="Keep boilerplate sentences."
)
@_option("lang", help="Language to keep ('' turns language ID off).")
@_option("lang_threshold", type=float)
@_option(
    "lang_scope",
    type=click.Choice(LANG_SCOPES),
    help="Classify groups of sentences, whole documents or single sentences.",
)
@_option("lang_group_chars", type=int)
@_option(
    "dedup_scope",
    type=click.Choice(DEDUP_SCOPES),
    help="corpus: 16-32 bytes of RAM per unique sentence; document; none.",
)
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
def prepare_corpus(
    inputs: tuple[str, ...],
    output: str,
    report: str | None,
    workers: int,
    no_boilerplate: bool,
    no_progress: bool,
    **filters,
) -> None:
    """Prepare a French medical CPT corpus as the study did.

    Sentence segmentation, filters of short or low-quality sentences, French
    language ID, deduplication. Reads .txt, .jsonl, .parquet files (.txt.gz,
    .jsonl.gz) or folders in one streaming pass; writes {"text": ...} JSONL and
    a JSON report.
    """
    from medfr_train.corpus.driver import prepare_corpus as run
    from medfr_train.corpus.report import print_report

    cfg = CorpusConfig(boilerplate=not no_boilerplate, **filters)
    result = run(
        list(inputs),
        output,
        config=cfg,
        workers=workers,
        report_path=report,
        progress=not no_progress,
    )
    print_report(result)
