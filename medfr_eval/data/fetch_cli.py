"""``medfr-data fetch``: the public sets as JSONL in one folder, for runs without internet.

Registered in the ``data`` group by ``medfr_eval/data/cli.py``; the work is
:func:`medfr_eval.data.fetch.fetch`. Errors are :class:`~medfr_eval.core.errors.DataError`
and reach the user through the one handler in :mod:`medfr_eval.cli`.
"""

from __future__ import annotations

import click


@click.command(
    "fetch",
    epilog="Example: medfr data fetch -o medfr-data && MEDFR_DATA=medfr-data lm_eval "
    "--tasks medfr_public --model hf --model_args pretrained=MODEL",
)
@click.argument("sets", nargs=-1, metavar="[SET...]")
@click.option(
    "-o",
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=str),
    help="Folder to write <set>.jsonl and MANIFEST.json into (created; other files are kept).",
)
@click.option(
    "--from",
    "from_dir",
    type=click.Path(exists=True, file_okay=False, path_type=str),
    default=None,
    help="Convert a local copy instead of downloading: a folder laid out as the source repo "
    "(e.g. holding data.zip, or default/test/0000.parquet), or a folder of repos "
    "(FROM/BioMistral/BioInstructQA/data.zip, ...).",
)
def fetch(sets: tuple[str, ...], out: str, from_dir: str | None) -> int:
    """Download the public sets (all of them with no SET), check every record and write
    them in medfr's JSONL schema to OUT, atomically, with a MANIFEST.json (source repo,
    the commit read, file sha256, item counts, what was skipped). Then run with
    MEDFR_DATA=OUT, offline. A file in OUT that fetch did not write (or that was edited
    since) is never replaced.

    The study's FrBMedQA, FrMedMCQA, K-QA, FrClinicalQA and FrMedQA have no public copy:
    request them from the authors and put their <set>.jsonl in the same folder.
    """
    from medfr_eval.data.fetch import fetch as do_fetch
    from medfr_eval.data.fetch import size_warnings, summary_lines

    manifest = do_fetch(list(sets), out, from_dir)
    for line in summary_lines(manifest, out):
        click.echo(line)
    for line in size_warnings(manifest):
        click.echo(f"warning: {line}", err=True)
    skipped: dict[str, int] = {}
    for source in manifest["sources"].values():
        for key, n in (source.get("skipped") or {}).items():
            skipped[key] = skipped.get(key, 0) + n
    said = ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items())) or "none"
    click.echo(f"wrote {out}/MANIFEST.json (skipped: {said}); run with MEDFR_DATA={out}")
    return 0
