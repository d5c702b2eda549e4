"""Training text, streamed in batches: ``.txt``, ``.jsonl`` and ``.parquet``.

The training side (a CPT corpus of gigabytes, or SFT files) is never held in
memory: each reader yields batches of about ``batch_bytes`` of text with, for
every document, where it comes from (the line of a text or JSONL file, the row
of a parquet file), so that a contaminated document can be named. A document
longer than :data:`~.textfile.MAX_DOCUMENT_CHARS` is scanned in overlapping
pieces (:mod:`.textfile`), which keep its location and count as one document.

- ``.txt``: one document per block of lines separated by a blank line (the CPT
  corpus format), located by the block's first line; decoded strictly in
  ``encoding`` (UTF-8 unless ``--encoding``), read in bounded chunks;
- ``.jsonl``: one object per line (UTF-8, as JSON is; a line above
  :data:`MAX_RECORD_BYTES` is refused); its text is the given ``fields``
  (default: every string value, and every list of strings, in the object's order);
- ``.parquet``: the same per row, over the string columns (named ``fields`` may
  also be lists of strings), read batch by batch.

Folders are searched for these files following symbolic links, each folder read
once; links that lead nowhere or loop, and empty files, are skipped and listed
(the report says which files were not read). A file that cannot be read stops
the check: a check that silently skipped it would claim less contamination than
there is.

Every text comes out in Unicode NFC (:func:`medfr_eval.core.textnorm.nfc_text`), as
the evaluation items do, so a word has the same bytes on both sides.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medfr_eval.contamination import textfile
from medfr_eval.core.errors import DataError
from medfr_eval.core.jsonl import iter_jsonl
from medfr_eval.core.textnorm import nfc_text

SUFFIXES = (".txt", ".jsonl", ".parquet")
BATCH_BYTES = 4 << 20
#: A JSONL record is parsed whole: longer lines are refused, to bound memory.
MAX_RECORD_BYTES = 16 << 20
#: Words repeated at the start of a piece of a long document (the n-gram size - 1
#: is enough; the check passes it).
OVERLAP_WORDS = 12


@dataclass
class Batch:
    """Documents of one file: their texts and their locations (line or row numbers)."""

    file: str
    where: list[int]
    texts: list[str]
    nbytes: int
    unit: str  # "line" or "row"
    #: per text, whether it starts a document (False: a further piece of the one before)
    starts: list[bool] = field(default_factory=list)
    repeated_words: int = 0  # words read twice: the overlaps of long documents' pieces

    def add(self, piece: textfile.Piece) -> None:
        self.where.append(piece.line)
        self.texts.append(piece.text)
        self.starts.append(not piece.continued)
        self.repeated_words += piece.repeated_words

    @property
    def documents(self) -> int:
        return sum(self.starts)

    def label(self, i: int) -> str:
        return (
            f"{self.file}:{self.where[i]}"
            if self.unit == "line"
            else f"{self.file}#row{self.where[i]}"
        )


def expand(paths: Sequence[str | Path], skipped: dict[str, str] | None = None) -> list[Path]:
    """Files to read: files as given, folders searched for .txt/.jsonl/.parquet (sorted).

    Entries not read (a link that leads nowhere or loops, an empty file, a folder
    reached twice through links) go into ``skipped`` (path -> why) when given."""
    skipped = {} if skipped is None else skipped
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        why = _not_readable(p)
        if why:
            raise DataError(why, file=p)
        if p.is_dir():
            before = len(skipped)
            found = _walk(p, skipped)
            if not found:
                also = f" ({len(skipped) - before} skipped)" if len(skipped) > before else ""
                raise DataError(f"no {', '.join(SUFFIXES)} file to read in this folder{also}",
                                file=p)  # fmt: skip
            files.extend(found)
        elif p.suffix not in SUFFIXES:
            raise DataError(f"unsupported file type; use {', '.join(SUFFIXES)}", file=p)
        elif p.stat().st_size == 0:
            skipped[str(p)] = "empty file"
        else:
            files.append(p)
    return files


#: Reasons an entry found in a folder is skipped (and listed) rather than refused:
#: nothing to read there. A file that exists but cannot be read stops the check.
_SKIPPABLE = ("broken symbolic link", "symbolic link loop", "not a regular file")


def _not_readable(p: Path) -> str | None:
    """Why ``p`` cannot be read at all, or None."""
    try:
        st = p.stat()
    except OSError as exc:
        if p.is_symlink():
            return "symbolic link loop" if exc.errno == errno.ELOOP else "broken symbolic link"
        return "no such file or folder"
    if stat.S_ISDIR(st.st_mode):
        return None if os.access(p, os.R_OK | os.X_OK) else "cannot read: permission denied"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    return None if os.access(p, os.R_OK) else "cannot read: permission denied"


def _walk(root: Path, skipped: dict[str, str]) -> list[Path]:
    """Training files under ``root``, following links; each real folder and file read once."""
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()

    def refuse(exc: OSError) -> None:
        raise DataError(f"cannot list: {exc.strerror or exc}", file=exc.filename or root)

    def first_time(p: Path | str, why: str) -> bool:
        st = os.stat(p)
        if (st.st_dev, st.st_ino) in seen:
            skipped[str(p)] = why
            return False
        seen.add((st.st_dev, st.st_ino))
        return True

    for folder, dirs, names in os.walk(root, onerror=refuse, followlinks=True):
        if not first_time(folder, "folder already read (reached again through a symbolic link)"):
            dirs[:] = []
            continue
        for sub in list(dirs):
            why = _not_readable(Path(folder, sub))
            if why:
                dirs.remove(sub)
                _skip_or_refuse(Path(folder, sub), why, skipped)
        for name in names:
            f = Path(folder, name)
            why = _not_readable(f) if f.suffix in SUFFIXES else "not a training file"
            if why:
                _skip_or_refuse(f, why, skipped)
            elif f.stat().st_size == 0:
                skipped[str(f)] = "empty file"
            elif first_time(f, "file already read (reached again through a symbolic link)"):
                found.append(f)
    return sorted(found)


def _skip_or_refuse(p: Path, why: str, skipped: dict[str, str]) -> None:
    if why == "not a training file":  # other suffixes: not ours to read, not listed
        return
    if why not in _SKIPPABLE:
        raise DataError(why, file=p)
    skipped[str(p)] = why


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


def _txt(path: Path, batch_bytes: int, encoding: str, overlap: int) -> Iterator[Batch]:
    """Blank-line-separated documents, in bounded pieces (:func:`.textfile.documents`)."""
    batch = Batch(str(path), [], [], 0, "line")
    for piece in textfile.documents(path, encoding=encoding, overlap=overlap):
        batch.add(piece)
        batch.nbytes += piece.nbytes
        if batch.nbytes >= batch_bytes:
            yield batch
            batch = Batch(str(path), [], [], 0, "line")
    if batch.texts:
        yield batch


def _add_text(batch: Batch, where: int, text: str, overlap: int) -> None:
    """One document's text, in pieces when it is long (bounded normalisation)."""
    if len(text) < textfile.MAX_DOCUMENT_CHARS:
        batch.add(textfile.Piece(where, text, False, 0, 0))
        return
    for piece in textfile.split(text, where, overlap=overlap):
        batch.add(piece)


def _jsonl(
    path: Path, fields: Sequence[str] | None, batch_bytes: int, overlap: int
) -> Iterator[Batch]:
    batch = Batch(str(path), [], [], 0, "line")
    # objects=False: object_text says which type it got instead
    for lineno, obj, nbytes in iter_jsonl(path, objects=False, max_line_bytes=MAX_RECORD_BYTES):
        _add_text(batch, lineno, object_text(obj, fields, file=path, line=lineno), overlap)
        batch.nbytes += nbytes
        if batch.nbytes >= batch_bytes:
            yield batch
            batch = Batch(str(path), [], [], 0, "line")
    if batch.texts:
        yield batch


def _is_text(t: Any, *, lists: bool) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        t = t.value_type
    if lists and (pa.types.is_list(t) or pa.types.is_large_list(t)):
        return _is_text(t.value_type, lists=False)
    string_view = getattr(pa.types, "is_string_view", lambda _: False)  # pyarrow >= 16
    return pa.types.is_string(t) or pa.types.is_large_string(t) or string_view(t)


def _parquet_columns(path: Path, schema: Any, fields: Sequence[str] | None) -> list[str]:
    """The columns read: the named ones (text, or lists of text), else every text column."""
    if not fields:
        columns = [f.name for f in schema if _is_text(f.type, lists=False)]
        if not columns:
            raise DataError("no text column", file=path)
        return columns
    for name in fields:
        if name not in schema.names:
            raise DataError(f"no column {name!r} (columns: {schema.names})", file=path, field=name)
        t = schema.field(name).type
        if not _is_text(t, lists=True):
            raise DataError(f"column {name!r} holds {t}, not text; name a string column",
                            file=path, field=name)  # fmt: skip
    return list(fields)


def _parquet_texts(rb: Any, columns: list[str]) -> tuple[list[str], int]:
    """Per row, its columns' texts joined by a newline; and the bytes of text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = []
    for c in columns:
        col = rb.column(c)
        if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
            # in Python: Arrow's binary_join makes a whole row null for one null string
            rows = ["\n".join(x for x in r if x) if r else None for r in col.to_pylist()]
            col = pa.array(rows, pa.large_string())
        cols.append(col.cast(pa.large_string()))
    sep = pa.scalar("\n", pa.large_string())
    joined = (
        pc.binary_join_element_wise(*cols, sep, null_handling="skip") if len(cols) > 1 else cols[0]
    )
    texts = [t or "" for t in joined.to_pylist()]
    return texts, sum(pc.sum(pc.binary_length(c)).as_py() or 0 for c in cols)


def _parquet(
    path: Path, fields: Sequence[str] | None, batch_bytes: int, overlap: int
) -> Iterator[Batch]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"not a readable parquet file: {exc}", file=path) from None
    columns = _parquet_columns(path, pf.schema_arrow, fields)
    row = 0
    batches = pf.iter_batches(batch_size=8192, columns=columns)
    while True:
        try:
            rb = next(batches, None)
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"corrupt parquet data after row {row}: {exc}", file=path) from None
        if rb is None:
            return
        texts, size = _parquet_texts(rb, columns)
        batch = Batch(str(path), [], [], size, "row")
        for i, text in enumerate(texts):
            _add_text(batch, row + i, text, overlap)
        yield batch
        row += len(texts)


def _by_suffix(
    path: Path, fields: Sequence[str] | None, batch_bytes: int, encoding: str, overlap: int
) -> Iterator[Batch]:
    if path.suffix == ".txt":
        return _txt(path, batch_bytes, textfile.check_encoding(encoding), overlap)
    if path.suffix == ".jsonl":
        return _jsonl(path, fields, batch_bytes, overlap)
    if path.suffix == ".parquet":
        return _parquet(path, fields, batch_bytes, overlap)
    raise DataError(f"unsupported file type; use {', '.join(SUFFIXES)}", file=path)


def read_batches(
    path: Path,
    fields: Sequence[str] | None = None,
    batch_bytes: int = BATCH_BYTES,
    *,
    encoding: str = "utf-8",
    overlap: int = OVERLAP_WORDS,
) -> Iterator[Batch]:
    """Batches of documents of one training file, by its suffix, every text in NFC.

    ``nbytes`` stays the size read from the file (what the progress bar measures).
    ``encoding`` is the ``.txt`` files' (JSONL and parquet text is UTF-8 by their
    formats); ``overlap``: words repeated at the start of each further piece of a
    long document (the n-gram size - 1, so that no n-gram is lost at a cut)."""
    # a wrong suffix or encoding fails here, not on first use
    batches = _by_suffix(path, fields, batch_bytes, encoding, overlap)

    def normalised() -> Iterator[Batch]:
        for batch in batches:
            batch.texts = [nfc_text(t) for t in batch.texts]
            yield batch

    return normalised()
