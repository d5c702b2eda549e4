"""Documents of a plain-text corpus, streamed with bounded memory, and long texts cut safely.

A ``.txt`` corpus holds one document per block of lines separated by a blank
line. Nothing bounds a document or a line: a file without blank lines is one
document, a file without newlines one line, and normalising a text costs about
fifteen times its size (lower case, UTF-8 bytes, one object per word). So the
file is read in chunks of at most :data:`LINE_CHUNK` bytes (a line may take
several), and a document longer than :data:`MAX_DOCUMENT_CHARS` is scanned in
pieces of about that length (:func:`cut`). Each piece after the first starts
with the last ``overlap`` words of the one before, so that an n-gram of up to
``overlap + 1`` words that straddles a cut is still seen whole (unless those
words are spread over more than a quarter of a piece, which only runs of
thousands of punctuation marks do); the pieces keep the document's first line
as their location.

Bytes are decoded strictly in the encoding given (UTF-8 by default, as every
medfr reader): a corpus saved in another encoding is refused naming the file
and line, never read as replacement characters that match nothing. A NUL
character marks a binary file and is refused too.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from medfr_eval.contamination.ngrams import UNICODE_BREAKS, words
from medfr_eval.core.errors import DataError
from medfr_eval.core.fileio import open_binary

#: Bytes read at most at once (a line can be longer: several chunks); small next to a
#: piece, so that a piece never grows much past MAX_DOCUMENT_CHARS.
LINE_CHUNK = 1 << 16
#: A document longer than this (characters) is scanned in pieces. 256K, not more:
#: with pieces of 1M the allocator kept fragments of the large strings and the
#: peak grew with the file (benchmarks/contamination_memory.py).
MAX_DOCUMENT_CHARS = 1 << 18
#: Where a cut may fall: the characters the normalisation always turns into word
#: breaks (ASCII that is not a letter or a digit, and its Unicode punctuation), so
#: a cut never splits a word.
_BREAK_CHARS = r"\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f" + re.escape(UNICODE_BREAKS)
_BREAK = re.compile(f"[{_BREAK_CHARS}]")
_UP_TO_LAST_BREAK = re.compile(f"(?s).*[{_BREAK_CHARS}]")
#: A word as the normalisation sees it: a run between such breaks.
_WORD = re.compile(f"[^{_BREAK_CHARS}]+")


@dataclass
class Piece:
    """A document, or a piece of a long one: where it starts and its text."""

    line: int  # first line of the document
    text: str
    continued: bool  # continues the document of the previous piece
    repeated_words: int  # words at its start that the previous piece already held
    nbytes: int  # bytes of the file read for it


def check_encoding(encoding: str) -> str:
    """The codec name of ``encoding``, refused unless it reads line by line in bytes.

    Lines are found by their ``\\n`` byte, so only encodings that write ASCII as
    ASCII (UTF-8, Latin-1, Windows-1252, ...) can be read; UTF-16 cannot."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise DataError(f"unknown encoding {encoding!r}", field="--encoding") from None
    try:
        ascii_safe = "a\n ".encode(info.name) == b"a\n "
    except UnicodeError:
        ascii_safe = False
    if not ascii_safe:
        raise DataError(
            f"{info.name} does not write ASCII as ASCII; re-save the corpus as UTF-8",
            field="--encoding",
        )
    return info.name


def _bad_bytes(path: Path, exc: UnicodeDecodeError, encoding: str, line: int) -> DataError:
    byte = exc.object[exc.start] if exc.start < len(exc.object) else 0
    if encoding == "utf-8":
        why = (
            f"not UTF-8 (byte 0x{byte:02x}); re-save the file as UTF-8 (e.g. it was saved as "
            "Latin-1/Windows-1252) or give its encoding with --encoding"
        )
    else:
        why = f"not valid {encoding} (byte 0x{byte:02x}); give the file's encoding with --encoding"
    return DataError(why, file=path, line=line)


def chunks(path: Path, encoding: str = "utf-8") -> Iterator[tuple[int, str, bool, int]]:
    """``(line, text, ends the line, bytes)`` of a text file, at most :data:`LINE_CHUNK`
    bytes at a time; bad bytes and NUL characters name the file and line."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lineno = 1
    with open_binary(path) as fh:
        while raw := _read(fh, path):
            try:
                text = decoder.decode(raw)
            except UnicodeDecodeError as exc:
                raise _bad_bytes(path, exc, encoding, lineno) from None
            if lineno == 1 and text.startswith("\ufeff"):
                text = text[1:]
            if "\x00" in text:
                raise DataError("holds a NUL character: a binary file, not text", file=path,
                                line=lineno)  # fmt: skip
            ends = raw.endswith(b"\n")
            yield lineno, text, ends, len(raw)
            lineno += ends
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise _bad_bytes(path, exc, encoding, lineno) from None


def _read(fh, path: Path) -> bytes:
    try:
        return fh.readline(LINE_CHUNK)
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", file=path) from None


def cut(text: str, overlap: int, window: int) -> tuple[str, str, int, bool]:
    """Split a long text at its last word break: ``(head, carry, repeated, hard)``.

    ``carry`` starts the next piece: the head's last ``overlap`` words (``repeated``
    normalised words, taken from its last ``window`` characters), then what followed
    the break. With no break in the last ``window`` characters, the text ends inside
    a word longer than any evaluation word: the cut is ``hard``, the head keeps the
    text whole and the next piece must start after the rest of that word."""
    found = _UP_TO_LAST_BREAK.match(text, max(len(text) - window, 0))
    if found is None:
        return text, "", 0, True
    head, rest = text[: found.end()], text[found.end() :]
    pos = max(len(head) - window, 0)
    starts = [m.start() for m in _WORD.finditer(head, pos)]
    if pos and starts and starts[0] == pos:  # may be the end of a word begun before
        starts = starts[1:]
    keep = head[starts[-min(overlap, len(starts))] :] if overlap and starts else ""
    return head, keep + rest, len(words(keep)) if keep else 0, False


class _Document:
    """The text of the document being read, yielded in pieces when it grows too long."""

    def __init__(self, max_chars: int, overlap: int) -> None:
        self.max_chars, self.overlap = max_chars, overlap
        self._reset()

    def _reset(self) -> None:
        self.line: int | None = None
        self.parts: list[str] = []
        self.size = 0
        self.continued = False
        self.repeated = 0
        self.skip_word = False  # drop the rest of a word cut in two (a hard :func:`cut`)

    def add(self, line: int, text: str) -> None:
        if self.skip_word:
            m = _BREAK.search(text)
            if m is None:
                return
            text, self.skip_word = text[m.start() :], False
        if self.line is None:
            self.line = line
        self.parts.append(text)
        self.size += len(text)

    def pieces(self, nbytes: int) -> Iterator[Piece]:
        """The full pieces the document holds now (none while it is short).

        The carry (overlap and the text after the break, each at most a quarter of
        ``max_chars``) is shorter than a piece, so every cut makes progress."""
        while self.size >= self.max_chars:
            head, carry, repeated, hard = cut("".join(self.parts), self.overlap,
                                              self.max_chars // 4)  # fmt: skip
            yield self._piece(head, nbytes)
            nbytes = 0
            self.parts, self.size = ([carry], len(carry)) if carry else ([], 0)
            self.continued, self.repeated, self.skip_word = True, repeated, hard

    def end(self, nbytes: int) -> Iterator[Piece]:
        """The document's last piece; the next text starts a new document."""
        text = "".join(self.parts)
        if text.strip() and self.line is not None:
            yield self._piece(text, nbytes)
        self._reset()

    def _piece(self, text: str, nbytes: int) -> Piece:
        assert self.line is not None
        return Piece(self.line, text, self.continued, self.repeated, nbytes)


def documents(
    path: Path,
    *,
    encoding: str = "utf-8",
    max_chars: int | None = None,
    overlap: int = 12,
) -> Iterator[Piece]:
    """The documents of a ``.txt`` corpus (blank-line-separated blocks), in pieces of
    about ``max_chars`` (default :data:`MAX_DOCUMENT_CHARS`) at most."""
    doc = _Document(max_chars or MAX_DOCUMENT_CHARS, overlap)
    blank = True  # the line read so far holds only white space
    pending = 0  # bytes read since the last piece
    for line, text, ends, nbytes in chunks(path, encoding):
        pending += nbytes
        if not blank or text.strip():
            blank = False
            doc.add(line, text)
            for piece in doc.pieces(pending):
                pending = 0
                yield piece
        if ends:
            if blank:
                for piece in doc.end(pending):
                    pending = 0
                    yield piece
            blank = True
    yield from doc.end(pending)


def split(text: str, line: int, *, max_chars: int | None = None, overlap: int = 12) -> list[Piece]:
    """One long document's text (a JSONL record, a parquet cell) in overlapping pieces."""
    doc = _Document(max_chars or MAX_DOCUMENT_CHARS, overlap)
    doc.add(line, text)
    return [*doc.pieces(0), *doc.end(0)]
