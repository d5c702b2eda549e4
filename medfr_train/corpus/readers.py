"""Streaming readers of .txt, .jsonl, .parquet (and .gz) corpus files, one document at a time."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from medfr_train.errors import CorpusError

#: File kinds we read, by suffix (longest match first).
SUFFIXES: dict[str, str] = {
    ".txt.gz": "txt",
    ".jsonl.gz": "jsonl",
    ".txt": "txt",
    ".jsonl": "jsonl",
    ".parquet": "parquet",
}

#: A ``.txt`` block longer than this (no blank line) is cut at a line boundary,
#: so a file without blank lines never becomes one multi-GB document in memory.
MAX_BLOCK_CHARS = 1_000_000


def file_kind(path: Path) -> str:
    """``txt``, ``jsonl`` or ``parquet`` from the file name; CorpusError otherwise."""
    name = path.name.lower()
    for suffix, kind in SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    raise CorpusError(
        f"unknown corpus file type (expected one of {', '.join(SUFFIXES)})", file=path
    )


def expand_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Files to read: each input file, or the corpus files found under each folder (sorted)."""
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and any(p.name.lower().endswith(s) for s in SUFFIXES)
            )
            if not found:
                raise CorpusError(f"folder holds no corpus file ({', '.join(SUFFIXES)})", file=path)
            files.extend(found)
        elif path.is_file():
            file_kind(path)
            files.append(path)
        else:
            raise CorpusError("corpus file not found", file=path)
    if not files:
        raise CorpusError("no corpus input given")
    return files


class _ByteCounter:
    """Reports how far the raw (possibly compressed) file has been read, for the progress bar."""

    def __init__(self, raw) -> None:
        self._raw = raw
        self._last = 0

    def delta(self) -> int:
        pos = self._raw.tell()
        d, self._last = pos - self._last, pos
        return d


def _binary_lines(path: Path):
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller through the returned handle
    stream = gzip.GzipFile(fileobj=raw) if path.name.lower().endswith(".gz") else raw
    return raw, stream


def _decode(line: bytes, path: Path, lineno: int) -> str:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"not valid UTF-8 text ({exc.reason})", file=path, line=lineno) from None
    return text.lstrip("\ufeff") if lineno == 1 else text


def read_txt(path: Path) -> Iterator[tuple[str | None, int]]:
    """Documents of a text file (blank-line separated) and the bytes read since the last one."""
    raw, stream = _binary_lines(path)
    counter = _ByteCounter(raw)
    block: list[str] = []
    size = 0
    try:
        for lineno, line in enumerate(_guard_gzip(stream, path), start=1):
            text = _decode(line, path, lineno)
            if text.strip():
                block.append(text)
                size += len(text)
                if size < MAX_BLOCK_CHARS:
                    continue
            if block:
                yield "".join(block), counter.delta()
                block, size = [], 0
        if block:
            yield "".join(block), counter.delta()
        else:
            d = counter.delta()
            if d:
                yield None, d  # no document, just progress
    finally:
        stream.close()
        raw.close()


def _guard_gzip(stream, path: Path) -> Iterator[bytes]:
    """Iterate lines, turning a corrupt gzip stream into a CorpusError naming the file."""
    try:
        yield from stream
    except (OSError, EOFError) as exc:
        raise CorpusError(f"cannot read ({exc})", file=path) from None


def read_jsonl(path: Path, text_field: str) -> Iterator[tuple[str, int]]:
    """The ``text_field`` of each JSONL line; a bad line is an error naming file, line and field."""
    raw, stream = _binary_lines(path)
    counter = _ByteCounter(raw)
    try:
        for lineno, line in enumerate(_guard_gzip(stream, path), start=1):
            text = _decode(line, path, lineno)
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"invalid JSON ({exc.msg})", file=path, line=lineno) from None
            if not isinstance(obj, dict):
                raise CorpusError(
                    f"expected a JSON object with a {text_field!r} field", file=path, line=lineno
                )
            if text_field not in obj:
                raise CorpusError("missing", file=path, line=lineno, field=text_field)
            value = obj[text_field]
            if not isinstance(value, str):
                raise CorpusError(
                    f"must be a string, got {type(value).__name__}",
                    file=path,
                    line=lineno,
                    field=text_field,
                )
            yield value, counter.delta()
    finally:
        stream.close()
        raw.close()


def read_parquet(path: Path, text_field: str) -> Iterator[tuple[str, int]]:
    """The ``text_field`` column of a parquet file, read by record batches (pyarrow)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise CorpusError(f"not a readable parquet file ({exc})", file=path) from None
    schema = pf.schema_arrow
    if text_field not in schema.names:
        raise CorpusError(f"column missing (columns: {schema.names})", file=path, field=text_field)
    col_type = schema.field(text_field).type
    if not (pa.types.is_string(col_type) or pa.types.is_large_string(col_type)):
        raise CorpusError(f"column must hold strings, got {col_type}", file=path, field=text_field)
    total_rows = max(pf.metadata.num_rows, 1)
    file_size = path.stat().st_size
    rows_done = 0
    reported = 0
    for batch in pf.iter_batches(columns=[text_field], batch_size=1024):
        values = batch.column(0).to_pylist()
        rows_done += len(values)
        # Progress as the share of rows read times the file size.
        target = file_size * rows_done // total_rows
        first = True
        for value in values:
            d = target - reported if first else 0
            reported += d
            first = False
            yield (value or ""), d


def read_documents(path: Path, text_field: str = "text") -> Iterator[tuple[str | None, int]]:
    """Documents of any supported file, with the raw bytes consumed since the previous one."""
    kind = file_kind(path)
    if kind == "txt":
        return read_txt(path)
    if kind == "jsonl":
        return read_jsonl(path, text_field)
    return read_parquet(path, text_field)
