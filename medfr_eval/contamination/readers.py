"""Training text, streamed in batches: ``.txt``, ``.jsonl`` and ``.parquet``.

The training side (a CPT corpus of gigabytes, or SFT files) is never held in
memory: each reader yields batches of about ``batch_bytes`` of text with, for
every document, where it comes from (the line of a text or JSONL file, the row
of a parquet file), so that a contaminated document can be named.

- ``.txt``: one document per block of lines separated by a blank line (the CPT
  corpus format), located by the block's first line;
- ``.jsonl``: one object per line; its text is the given ``fields`` (default:
  every string value, and every list of strings, in the object's order);
- ``.parquet``: the same per row, over the string columns, read batch by batch.

Every text comes out in Unicode NFC (:func:`medfr_eval.textnorm.nfc_text`), as
the evaluation items do, so a word has the same bytes on both sides.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medfr_eval.errors import DataError
from medfr_eval.jsonl import iter_jsonl
from medfr_eval.textnorm import nfc_text

SUFFIXES = (".txt", ".jsonl", ".parquet")
BATCH_BYTES = 4 << 20


@dataclass
class Batch:
    """Documents of one file: their texts and their locations (line or row numbers)."""

    file: str
    where: list[int]
    texts: list[str]
    nbytes: int
    unit: str  # "line" or "row"

    def label(self, i: int) -> str:
        return (
            f"{self.file}:{self.where[i]}"
            if self.unit == "line"
            else f"{self.file}#row{self.where[i]}"
        )


def expand(paths: Sequence[str | Path]) -> list[Path]:
    """Files to read: files as given, folders searched for .txt/.jsonl/.parquet (sorted)."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in SUFFIXES)
            if not found:
                raise DataError(f"no {', '.join(SUFFIXES)} file in this folder", file=p)
            files.extend(found)
        elif p.is_file():
            if p.suffix not in SUFFIXES:
                raise DataError(f"unsupported file type; use {', '.join(SUFFIXES)}", file=p)
            files.append(p)
        else:
            raise DataError("no such file or folder", file=p)
    return files


def object_text(obj: Any, fields: Sequence[str] | None, *, file: Path, line: int) -> str:
    """The text of one JSON object: the named fields, or every string (list) value."""
    if not isinstance(obj, dict):
        raise DataError(f"expected a JSON object, got {type(obj).__name__}", file=file, line=line)
    keys = fields if fields else list(obj)
    parts: list[str] = []
    for key in keys:
        value = obj.get(key)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.extend(v for v in value if isinstance(v, str))
    return "\n".join(parts)


def _txt(path: Path, batch_bytes: int) -> Iterator[Batch]:
    where: list[int] = []
    texts: list[str] = []
    size = 0
    block: list[str] = []
    start = 0
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                if not block:
                    start = lineno
                block.append(line)
                continue
            if block:
                text = "".join(block)
                where.append(start)
                texts.append(text)
                size += len(text)
                block = []
                if size >= batch_bytes:
                    yield Batch(str(path), where, texts, size, "line")
                    where, texts, size = [], [], 0
    if block:
        text = "".join(block)
        where.append(start)
        texts.append(text)
        size += len(text)
    if texts:
        yield Batch(str(path), where, texts, size, "line")


def _jsonl(path: Path, fields: Sequence[str] | None, batch_bytes: int) -> Iterator[Batch]:
    where: list[int] = []
    texts: list[str] = []
    size = 0
    # objects=False: object_text says which type it got instead
    for lineno, obj, nbytes in iter_jsonl(path, objects=False):
        where.append(lineno)
        texts.append(object_text(obj, fields, file=path, line=lineno))
        size += nbytes
        if size >= batch_bytes:
            yield Batch(str(path), where, texts, size, "line")
            where, texts, size = [], [], 0
    if texts:
        yield Batch(str(path), where, texts, size, "line")


def _parquet(path: Path, fields: Sequence[str] | None, batch_bytes: int) -> Iterator[Batch]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"not a readable parquet file: {exc}", file=path) from None
    schema = pf.schema_arrow
    if fields:
        missing = [f for f in fields if f not in schema.names]
        if missing:
            raise DataError(
                f"no column {missing[0]!r} (columns: {schema.names})", file=path, field=missing[0]
            )
        columns = list(fields)
    else:
        columns = [
            f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        ]
    if not columns:
        raise DataError("no text column", file=path)
    row = 0
    for rb in pf.iter_batches(batch_size=8192, columns=columns):
        cols = [rb.column(c).cast(pa.large_string()) for c in columns]
        sep = pa.scalar("\n", pa.large_string())
        joined = (
            pc.binary_join_element_wise(*cols, sep, null_handling="skip")
            if len(cols) > 1
            else cols[0]
        )
        texts = [t or "" for t in joined.to_pylist()]
        size = sum(pc.sum(pc.binary_length(c)).as_py() or 0 for c in cols)
        yield Batch(str(path), list(range(row, row + len(texts))), texts, size, "row")
        row += len(texts)


def _by_suffix(path: Path, fields: Sequence[str] | None, batch_bytes: int) -> Iterator[Batch]:
    if path.suffix == ".txt":
        return _txt(path, batch_bytes)
    if path.suffix == ".jsonl":
        return _jsonl(path, fields, batch_bytes)
    if path.suffix == ".parquet":
        return _parquet(path, fields, batch_bytes)
    raise DataError(f"unsupported file type; use {', '.join(SUFFIXES)}", file=path)


def read_batches(
    path: Path, fields: Sequence[str] | None = None, batch_bytes: int = BATCH_BYTES
) -> Iterator[Batch]:
    """Batches of documents of one training file, by its suffix, every text in NFC.

    ``nbytes`` stays the size read from the file (what the progress bar measures)."""
    batches = _by_suffix(path, fields, batch_bytes)  # a wrong suffix fails here, not on first use

    def normalised() -> Iterator[Batch]:
        for batch in batches:
            batch.texts = [nfc_text(t) for t in batch.texts]
            yield batch

    return normalised()
