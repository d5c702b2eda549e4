"""One reader of JSON Lines files, so every command reports a bad line the same way.

medfr reads JSONL in many places (sample logs, judge labels, contamination
inputs, SFT sources); each used to carry its own loop, and they drifted
apart: some split on every Unicode line break (``str.splitlines`` breaks
inside a JSON string holding U+2028), some let a stray non-UTF-8 byte escape
as a traceback, some said ``not valid JSON:`` and others ``not valid JSON (...)``.
This loop is the one place that decides what a line is (bytes up to ``\\n``),
how it is decoded, and how a broken line is named: ``FILE:LINE: message``
through the caller's :class:`~medfr_eval.core.errors.MedfrError` subclass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from medfr_eval.core.errors import DataError, MedfrError
from medfr_eval.core.fileio import _decode_error, open_binary

Problem = Callable[[str, int], None]


class JsonLine(NamedTuple):
    """One parsed line: its 1-based number, its value, and its size in bytes on disk
    (what a progress bar measured against the file's size counts)."""

    number: int
    value: Any
    nbytes: int


def iter_jsonl(
    path: str | Path,
    *,
    error: type[MedfrError] = DataError,
    objects: bool = True,
    problem: Problem | None = None,
    errors: str = "strict",
    max_line_bytes: int | None = None,
) -> Iterator[JsonLine]:
    """``(line number, value, bytes)`` for each non-blank line of ``path``.

    A bad line raises ``error`` naming file and line: bytes that are not UTF-8
    (unless ``errors="replace"``), text that is not JSON (an unfinished last line
    is called truncated, the mark of an interrupted write), or, with ``objects``,
    a value that is not a JSON object. A caller that may skip bad lines (lm-eval
    sample logs under ``--lenient``) passes ``problem(message, line)`` instead,
    and the line is left out. A missing or unreadable file is one error too.
    ``max_line_bytes`` bounds the memory one line may take: a longer line is a bad
    line, never held whole (the rest of it is read in bounded chunks and dropped).
    """
    path = Path(path)
    fh = open_binary(path, error=error)

    def bad(message: str, lineno: int) -> None:
        if problem is None:
            raise error(message, file=path, line=lineno)
        problem(message, lineno)

    with fh:
        for lineno, raw in enumerate(_lines(fh, max_line_bytes), start=1):
            if raw is None:
                bad(f"line longer than {max_line_bytes} bytes: too long for one record", lineno)
                continue
            try:
                text = raw.decode("utf-8", errors=errors)
            except UnicodeDecodeError as exc:
                # the same words as every other text reader (medfr_eval.core.fileio)
                bad(_decode_error(path, raw, exc, error, lineno).message, lineno)
                continue
            if lineno == 1:
                text = text.lstrip("\ufeff")
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                if raw.endswith(b"\n"):
                    bad(f"not valid JSON ({exc.msg})", lineno)
                else:  # only the last line can lack one: an interrupted write
                    bad("truncated JSONL: last line is incomplete", lineno)
                continue
            except RecursionError:
                bad("not valid JSON (nested too deeply)", lineno)
                continue
            if objects and not isinstance(value, dict):
                bad("expected a JSON object", lineno)
                continue
            yield JsonLine(lineno, value, len(raw))


def _lines(fh, limit: int | None) -> Iterator[bytes | None]:
    """The file's lines as bytes; None for a line longer than ``limit`` (its rest is
    read in bounded chunks and dropped)."""
    if limit is None:
        yield from fh
        return
    while raw := fh.readline(limit + 1):
        if len(raw) <= limit or (len(raw) == limit + 1 and raw.endswith(b"\n")):
            yield raw
            continue
        while raw and not raw.endswith(b"\n"):
            raw = fh.readline(1 << 20)
        yield None
