"""Reading an SFT source with an ``origin`` column, streamed chunk by chunk.

MedInjection-FR's layout: parquet ``data/<split>-*.parquet`` with string
columns ``instruction``, ``context``, ``answer``, ``type``, ``origin``; also a
single ``.parquet`` or ``.jsonl`` file with those fields, or a Hub dataset id
(real users reach the Hub; a local copy works offline). The source is read
twice by :mod:`medfr_train.build_sft` and never held in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medfr_eval.core.jsonl import iter_jsonl
from medfr_train.errors import SFTDataError

REQUIRED = ("instruction", "answer", "origin")
COLUMNS = ("instruction", "context", "answer", "type", "origin")
READ_ROWS = 8192


@dataclass
class Chunk:
    """Rows of one source file: every column of :data:`COLUMNS` as a list (None where
    the source lacks an optional one), and where the first row is."""

    file: str
    start: int  # global index of the first row
    line: list[int] | None  # JSONL line of each row (None for parquet / Hub)
    cols: dict[str, list[Any]]

    def where(self, i: int) -> dict[str, Any]:
        """``file``/``line`` keywords for an error about row ``i`` of this chunk."""
        if self.line is not None:
            return {"file": self.file, "line": self.line[i]}
        return {"file": f"{self.file} (row {self.start + i})"}


def source_files(source: str | Path, split: str) -> list[Path] | None:
    """Local files of the source (None when it is not a local path: a Hub id)."""
    p = Path(source)
    if p.is_file():
        if p.suffix not in (".parquet", ".jsonl"):
            raise SFTDataError("unsupported source file; use .parquet or .jsonl", file=p)
        return [p]
    if p.is_dir():
        for pattern in (f"data/{split}-*.parquet", f"{split}-*.parquet", f"data/{split}*.jsonl"):
            found = sorted(p.glob(pattern))
            if found:
                return found
        raise SFTDataError(
            f"no data/{split}-*.parquet (MedInjection-FR's layout) in this folder", file=p
        )
    if p.suffix in (".parquet", ".jsonl") or p.is_absolute() or str(source).startswith("."):
        raise SFTDataError("no such file or folder", file=p)
    return None


def _check_columns(names: list[str], file: str) -> None:
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise SFTDataError(
            f"column missing (the source needs {', '.join(REQUIRED)}; found {', '.join(names)})",
            file=file,
            field=missing[0],
        )


def _parquet_chunks(path: Path, start: int) -> Iterator[Chunk]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise SFTDataError(f"not a readable parquet file: {exc}", file=path) from None
    names = pf.schema_arrow.names
    _check_columns(names, str(path))
    cols = [c for c in COLUMNS if c in names]
    batches = pf.iter_batches(batch_size=READ_ROWS, columns=cols)
    while True:
        try:  # a corrupt page (bad compressed data, a truncated file) shows only here
            rb = next(batches, None)
            if rb is None:
                return
            data = {
                c: rb.column(c).to_pylist() if c in cols else [None] * rb.num_rows for c in COLUMNS
            }
        except (pa.ArrowException, OSError) as exc:
            raise SFTDataError(
                f"not a readable parquet file (rows from {start}: {exc})", file=path
            ) from None
        yield Chunk(str(path), start, None, data)
        start += rb.num_rows


def _jsonl_chunks(path: Path, start: int) -> Iterator[Chunk]:
    cols: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    lines: list[int] = []
    for lineno, obj, _ in iter_jsonl(path, error=SFTDataError):
        missing = [c for c in REQUIRED if c not in obj]
        if missing:
            raise SFTDataError(
                f"missing (the source needs {', '.join(REQUIRED)})",
                file=path,
                line=lineno,
                field=missing[0],
            )
        for c in COLUMNS:
            cols[c].append(obj.get(c))
        lines.append(lineno)
        if len(lines) >= READ_ROWS:
            yield Chunk(str(path), start, lines, cols)
            start += len(lines)
            cols, lines = {c: [] for c in COLUMNS}, []
    if lines:
        yield Chunk(str(path), start, lines, cols)


def _hub_chunks(source: str, split: str) -> Iterator[Chunk]:
    import datasets

    try:
        ds = datasets.load_dataset(source, split=split)
    except Exception as exc:  # network, unknown id, gated...
        raise SFTDataError(
            f"could not load {source!r} (split {split!r}) from the Hub: {exc}. "
            "Without Hub access, give a local copy (a folder with data/train-*.parquet)",
            file=source,
        ) from exc
    _check_columns(list(ds.column_names), source)
    start = 0
    for batch in ds.iter(batch_size=READ_ROWS):
        rows = len(batch["origin"])
        yield Chunk(source, start, None, {c: batch.get(c) or [None] * rows for c in COLUMNS})
        start += len(batch["origin"])


def read_chunks(source: str | Path, split: str, files: list[Path] | None) -> Iterator[Chunk]:
    """Every row of the source, in order, chunk by chunk (streamed: read twice, never held)."""
    if files is None:
        yield from _hub_chunks(str(source), split)
        return
    start = 0
    for path in files:
        reader = _parquet_chunks if path.suffix == ".parquet" else _jsonl_chunks
        for chunk in reader(path, start):
            yield chunk
            start += len(chunk.cols["origin"])
