"""Row-by-row reading of a Hub parquet file: columns and types checked first, ClassLabels decoded.

pyarrow (a dependency of ``datasets``) reads the file in record batches, so
memory holds one batch, not the table. Before any row is converted the file's
size, its columns and their types are checked against what the source
documents, so a file that is not the source's stops with one line naming the
file and the column.

ClassLabel columns: the Hub (and ``datasets.Dataset.to_parquet``) stores a
``ClassLabel`` as its index and keeps the names in the schema metadata (key
``huggingface``: ``features`` -> ``List(ClassLabel(names=[...]))``). The index
means nothing without those names: a file whose names are stored as
``c, a, e, d, b`` has index 0 meaning ``c``. The features are read with
``datasets.Features.from_arrow_schema`` (the library's own reader of that
metadata) and every ClassLabel value is turned into its name, as
``ClassLabel.int2str`` does, before a reader sees the row.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medfr_eval.core.errors import DataError

#: what a column must hold: text (or null), a label list, one label, an id
KINDS = ("text", "labels", "label", "id")


def _open(path: Path, *, source: str, label: str, max_bytes: int):
    import pyarrow.parquet as pq

    size = path.stat().st_size
    if size > max_bytes:
        raise DataError(
            f"{source}: the file has {size:,} bytes, over medfr's bound of {max_bytes:,} for "
            "this source's file (the real one is far smaller); not read",
            file=label,
        )
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise DataError(f"{source}: not a readable parquet file ({exc})", file=label) from exc
    declared = sum(pf.metadata.row_group(i).total_byte_size for i in range(pf.num_row_groups))
    if declared > max_bytes:
        raise DataError(
            f"{source}: the file declares {declared:,} bytes of data once decompressed, over "
            f"medfr's bound of {max_bytes:,} for this source's file; not read",
            file=label,
        )
    return pf


def _features(pf, *, source: str, label: str) -> dict[str, Any]:
    """The ``datasets`` features of the file (from its schema metadata), by column."""
    from datasets import Features

    try:
        return dict(Features.from_arrow_schema(pf.schema_arrow))
    except Exception as exc:  # malformed ``huggingface`` metadata: json, key or type errors
        raise DataError(
            f"{source}: the schema metadata ('huggingface' features) cannot be read ({exc})",
            file=label,
        ) from exc


def class_names(feature: Any) -> list[str] | None:
    """The ClassLabel names of a column's feature (itself or its list's items), else None."""
    from datasets import ClassLabel

    inner = getattr(feature, "feature", feature)  # List(ClassLabel(...)) / Sequence(...)
    if isinstance(inner, ClassLabel):
        return list(inner.names)
    return None


def _type_ok(kind: str, arrow_type) -> bool:
    import pyarrow as pa

    def text(t) -> bool:
        return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t)

    if kind == "text":
        return text(arrow_type)
    if kind == "id":
        return text(arrow_type) or pa.types.is_integer(arrow_type)
    if kind == "label":
        return text(arrow_type) or pa.types.is_integer(arrow_type)
    # labels: a list of strings or of class indices, or one string ("A,C")
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        item = arrow_type.value_type
        return text(item) or pa.types.is_integer(item)
    return text(arrow_type)


def _check_columns(pf, required: dict[str, str], *, source: str, label: str) -> None:
    schema = pf.schema_arrow
    columns = set(schema.names)
    for name, kind in required.items():
        if name not in columns:
            raise DataError(
                f"{source}: column missing (columns: {', '.join(sorted(columns))})",
                file=label,
                field=name,
            )
        arrow_type = schema.field(name).type
        if not _type_ok(kind, arrow_type):
            raise DataError(
                f"{source}: the column has type {arrow_type}, which is not the source's "
                f"({_KIND_WORDS[kind]})",
                file=label,
                field=name,
            )


_KIND_WORDS = {
    "text": "text",
    "labels": "a list of answer labels, or a string of letters",
    "label": "a label or a number",
    "id": "text or an integer",
}


def _decode(value: Any, names: list[str], where: str, column: str, source: str) -> Any:
    """ClassLabel index (or list of them) -> name(s), as ``ClassLabel.int2str``."""
    if isinstance(value, list):
        return [_decode(v, names, where, column, source) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < len(names):
            raise DataError(
                f"{source}: class index {value} is outside the column's {len(names)} "
                f"ClassLabel names",
                file=where,
                field=column,
            )
        return names[value]
    return value


def open_rows(
    path: Path, required: dict[str, str], *, source: str, label: str, max_bytes: int
) -> tuple[Any, dict[str, list[str]]]:
    """The checked file and the ClassLabel names of its columns (those that have some)."""
    pf = _open(path, source=source, label=label, max_bytes=max_bytes)
    _check_columns(pf, required, source=source, label=label)
    features = _features(pf, source=source, label=label)
    names = {c: n for c, f in features.items() if (n := class_names(f)) is not None}
    return pf, names


def iter_rows(
    path: Path,
    required: dict[str, str],
    *,
    source: str,
    label: str,
    max_bytes: int,
    progress=lambda n: None,
    check_names=lambda names: None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row index, row as a dict, ClassLabels decoded) for every row.

    ``check_names(names)`` sees the ClassLabel names by column before any row
    (a reader refuses names that are not what its column must hold). A damaged
    page stops with one line naming the file."""
    import pyarrow as pa

    pf, names = open_rows(path, required, source=source, label=label, max_bytes=max_bytes)
    check_names(names)
    index = 0
    batches = pf.iter_batches(batch_size=1024)  # progress counts rows
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise DataError(
                f"{source}: the file is damaged after row {index} ({exc})", file=label
            ) from exc
        if batch is None:
            return
        for row in batch.to_pylist():
            where = f"{label}[{index}]"
            for column, column_names in names.items():
                if column in row:
                    row[column] = _decode(row[column], column_names, where, column, source)
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
