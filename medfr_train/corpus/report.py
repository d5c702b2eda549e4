"""The rich table ``medfr-train prepare-corpus`` prints after a run."""

from __future__ import annotations

from medfr_train.corpus.config import DROP_REASONS, CorpusReport


def format_dropped(dropped: dict[str, int]) -> str:
    parts = [f"{k} {v}" for k, v in dropped.items() if v]
    return ", ".join(parts) if parts else "none"


def print_report(report: CorpusReport, console=None) -> None:
    """A rich table of kept and dropped sentences per reason."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(stderr=True)
    total = max(report.sentences_read, 1)
    table = Table(title=f"Corpus: {report.output}")
    table.add_column("sentences", justify="left")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    table.add_row("read", f"{report.sentences_read:,}", "100.0 %")
    table.add_row(
        "[green]kept[/]",
        f"{report.sentences_kept:,}",
        f"{100 * report.sentences_kept / total:.1f} %",
    )
    for reason in DROP_REASONS:
        n = report.dropped.get(reason, 0)
        table.add_row(f"dropped: {reason}", f"{n:,}", f"{100 * n / total:.1f} %")
    console.print(table)
    console.print(
        f"documents: {report.documents_read:,} read, {report.documents_kept:,} kept, "
        f"{report.documents_dropped:,} left empty; {report.words_written:,} words written; "
        f"{report.bytes_read / 2**20:.1f} MiB read in {report.wall_time_s:.1f} s"
    )
