"""Row-by-row reading of a parquet file with a column check first (shared by the parquet sources).

pyarrow (a dependency of ``datasets``) reads the file in record batches, so
memory holds one batch, not the table; the column check names the first
missing column before anything is converted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medfr_eval.errors import DataError


def iter_rows(
    path: Path, required: tuple[str, ...], *, source: str, label: str, progress=lambda n: None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row index, row as a dict) for every row; a missing column stops with one line."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise DataError(f"{source}: not a readable parquet file ({exc})", file=label) from exc
    columns = set(pf.schema_arrow.names)
    for name in required:
        if name not in columns:
            raise DataError(
                f"{source}: column missing (columns: {', '.join(sorted(columns))})",
                file=label,
                field=name,
            )
    index = 0
    for batch in pf.iter_batches(batch_size=1024):  # progress counts rows
        for row in batch.to_pylist():
            yield index, row
            index += 1
        progress(batch.num_rows)


def count_rows(path: Path) -> int | None:
    """Rows in a parquet file from its footer (a progress bar's total); None if unreadable."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception:  # the reader reports the real error with its file name
        return None
