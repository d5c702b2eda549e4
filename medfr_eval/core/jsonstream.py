"""Read the items of one big top-level JSON list, one at a time, with bounded memory.

BioMistral's ``French-full.json`` is a single JSON list of ~50,000 records in a
485 MB archive; ``json.load`` would hold all of it (and its Python objects) at
once. The standard library has no streaming parser and the one item we need is
simple, so instead of adding a dependency (ijson) this reads the list with
``json.JSONDecoder.raw_decode`` over a sliding text buffer: memory holds one
chunk plus the item being decoded, whatever the file's size. An item larger
than ``max_item_chars`` stops with a clear error instead of eating memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from medfr_eval.core.errors import DataError

_WS = " \t\r\n"
_AFTER = _WS + ",]"


class _Buffer:
    """A text window over ``fh``: ``text[pos:]`` is what is left to parse."""

    def __init__(self, fh: TextIO, chunk_chars: int) -> None:
        self.fh, self.chunk = fh, chunk_chars
        self.text, self.pos, self.eof = "", 0, False

    def more(self) -> bool:
        """Append one chunk (dropping what was parsed); False at end of file."""
        if self.eof:
            return False
        data = self.fh.read(self.chunk)
        self.text = self.text[self.pos :] + data
        self.pos = 0
        self.eof = not data
        return bool(data)

    def skip_ws(self) -> str:
        """The next non-blank character ('' at end of file), left unconsumed."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return ""


def iter_json_list(
    fh: TextIO,
    *,
    file: str | None = None,
    chunk_chars: int = 1 << 16,
    max_item_chars: int = 32 << 20,
) -> Iterator[Any]:
    """Yield each element of the JSON list in ``fh``; errors name ``file`` and the item index."""
    decoder = json.JSONDecoder()
    buf = _Buffer(fh, chunk_chars)
    if buf.skip_ws() != "[":
        raise DataError("expected a JSON list (the file does not start with '[')", file=file)
    buf.pos += 1
    index = 0
    while True:
        ch = buf.skip_ws()
        if ch == "]" and index == 0:
            return
        if ch == "":
            raise DataError(f"the JSON list ends early, after {index} items", file=file)
        while True:
            try:
                item, end = decoder.raw_decode(buf.text, buf.pos)
            except json.JSONDecodeError as exc:
                if len(buf.text) - buf.pos > max_item_chars:
                    raise DataError(
                        f"item {index} is larger than {max_item_chars} characters or not valid JSON",
                        file=file,
                    ) from exc
                if buf.more():
                    continue
                raise DataError(f"item {index} is not valid JSON: {exc.msg}", file=file) from exc
            # a number cut by the chunk's end ("-1" of "-1.5e-3") decodes too early: take
            # the item only when a blank, ',' or ']' follows it, or at end of file
            if not buf.eof and (end == len(buf.text) or buf.text[end] not in _AFTER):
                if len(buf.text) - buf.pos > max_item_chars:
                    raise DataError(f"item {index} is not followed by ',' or ']'", file=file)
                buf.more()
                continue
            break
        buf.pos = end
        yield item
        index += 1
        sep = buf.skip_ws()
        if sep == ",":
            buf.pos += 1
        elif sep == "]":
            return
        elif sep == "":
            raise DataError(f"the JSON list ends early, after {index} items", file=file)
        else:
            raise DataError(
                f"expected ',' or ']' after item {index - 1}, got {sep!r}",
                file=file,
            )
