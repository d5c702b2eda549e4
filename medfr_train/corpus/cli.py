"""``medfr-train prepare-corpus``: the click command over :func:`prepare_corpus`."""

from __future__ import annotations

import click

from medfr_train.corpus.config import DEDUP_SCOPES, LANG_SCOPES, CorpusConfig

_D = CorpusConfig()


@click.command(
    "prepare-corpus",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: medfr-train prepare-corpus nachos/ -o nachos.jsonl.gz --workers 8",
)
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, help="Output JSONL (.jsonl or .jsonl.gz).")
@click.option("--report", default=None, help="Report JSON (default: <output>.report.json).")
@click.option("--workers", type=int, default=1, show_default=True, help="Processes.")
@click.option(
    "--text-field", default=_D.text_field, show_default=True, help="JSONL field / parquet column."
)
@click.option("--min-words", type=int, default=_D.min_words, show_default=True)
@click.option("--min-chars", type=int, default=_D.min_chars, show_default=True)
@click.option("--max-chars", type=int, default=_D.max_chars, show_default=True)
@click.option("--min-letter-ratio", type=float, default=_D.min_letter_ratio, show_default=True)
@click.option("--max-digit-ratio", type=float, default=_D.max_digit_ratio, show_default=True)
@click.option("--max-punct-ratio", type=float, default=_D.max_punct_ratio, show_default=True)
@click.option(
    "--max-char-repeat",
    type=int,
    default=_D.max_char_repeat,
    show_default=True,
    help="0: no check.",
)
@click.option(
    "--no-boilerplate-filter", "no_boilerplate", is_flag=True, help="Keep boilerplate sentences."
)
@click.option(
    "--lang",
    default=_D.lang,
    show_default=True,
    help="Language to keep ('' turns language ID off).",
)
@click.option("--lang-threshold", type=float, default=_D.lang_threshold, show_default=True)
@click.option(
    "--lang-scope",
    type=click.Choice(LANG_SCOPES),
    default=_D.lang_scope,
    show_default=True,
    help="Classify groups of sentences, whole documents or single sentences.",
)
@click.option("--lang-group-chars", type=int, default=_D.lang_group_chars, show_default=True)
@click.option(
    "--dedup-scope",
    type=click.Choice(DEDUP_SCOPES),
    default=_D.dedup_scope,
    show_default=True,
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
