"""Records of a JSON data file as the Hub's ``json`` builder reads it: one JSON list, or JSON Lines.

A dataset repo without a loading script names its files in the card's
``configs`` (MediQAl: ``mcqu/test.json``), and ``datasets`` reads a ``.json``
file either as one top-level list of objects or as one object per line. Both
are read here, record by record with bounded memory: the list through
:mod:`medfr_eval.core.jsonstream`, the lines one at a time, each line at most
``max_line_bytes``. Bad bytes, bad JSON and a file far larger than the
source's name the file (and the record) in one line.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medfr_eval.core.errors import DataError
from medfr_eval.core.jsonstream import iter_json_list


class Utf8Reader:
    """``read(n)`` -> text over a binary stream, reporting bytes read (for the progress bar)
    and refusing to read more than ``limit`` bytes (a bound the source's file stays under)."""

    def __init__(self, raw, progress, *, limit: int | None = None, label: str = "") -> None:
        self.raw, self.progress, self.limit, self.label = raw, progress, limit, label
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.seen = 0

    def read(self, n: int) -> str:
        data = self.raw.read(n)
        self.seen += len(data)
        if self.limit is not None and self.seen > self.limit:
            raise DataError(
                f"more than {self.limit:,} bytes once decompressed, over medfr's bound for "
                "this file; stopped",
                file=self.label,
            )
        self.progress(len(data))
        try:
            return self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise DataError(
                f"not UTF-8 (byte 0x{data[exc.start]:02x} near byte {self.seen - len(data) + exc.start:,})",
                file=self.label,
            ) from None


def _first_char(path: Path) -> str:
    with path.open("rb") as fh:
        while block := fh.read(4096):
            text = block.lstrip(b" \t\r\n\xef\xbb\xbf")
            if text:
                return chr(text[0])
    return ""


def _iter_lines(path: Path, label: str, progress, max_line_bytes: int) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as fh:
        index, lineno = 0, 0
        while raw := fh.readline(max_line_bytes + 1):
            lineno += 1
            progress(len(raw))
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                raise DataError(
                    f"a line longer than {max_line_bytes:,} bytes; not a record of this source",
                    file=label,
                    line=lineno,
                )
            try:
                text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(
                    f"not UTF-8 (byte 0x{raw[exc.start]:02x})", file=label, line=lineno
                ) from None
            if not text.strip():
                continue
            try:
                yield index, json.loads(text)
            except json.JSONDecodeError as exc:
                raise DataError(f"not valid JSON: {exc.msg}", file=label, line=lineno) from None
            except RecursionError:
                raise DataError(
                    "not valid JSON: nested too deeply", file=label, line=lineno
                ) from None
            index += 1


def iter_json_records(
    path: Path,
    *,
    label: str,
    max_bytes: int,
    progress=lambda n: None,
    max_line_bytes: int = 32 << 20,
) -> Iterator[tuple[int, Any]]:
    """(index, record) of a JSON list or JSON Lines file; the file must stay under ``max_bytes``."""
    size = path.stat().st_size
    if size > max_bytes:
        raise DataError(
            f"the file has {size:,} bytes, over medfr's bound of {max_bytes:,} for this "
            "source's file (the real one is far smaller); not read",
            file=label,
        )
    first = _first_char(path)
    if first == "[":
        with path.open("rb") as raw:
            reader = Utf8Reader(raw, progress, limit=max_bytes, label=label)
            yield from enumerate(iter_json_list(reader, file=label))
    elif first == "{":
        yield from _iter_lines(path, label, progress, max_line_bytes)
    elif first == "":
        return
    else:
        raise DataError(
            f"expected a JSON list of records or JSON Lines, found {first!r} first", file=label
        )
