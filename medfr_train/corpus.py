"""CPT corpus preparation: ``medfr-train prepare-corpus``.

The study prepared NACHOS (7.4 GB of French medical web text) by sentence
segmentation, aggressive filtering of short or low-quality sentences and
language identification. This module does the same in one streaming pass:

    read documents -> split into sentences -> quality filters -> French language ID
    -> exact sentence dedup -> write ``{"text": ...}`` JSONL (the CPT schema)

Why it is built this way:

* **Streaming.** Readers yield one document at a time (``.txt`` blocks separated
  by blank lines, ``.jsonl`` lines, ``.parquet`` record batches, ``.gz`` for the
  text formats); at most ``2 x workers`` batches of a few hundred documents are
  in flight, so a 7 GB corpus never sits in RAM. A ``.txt`` block with no blank
  line for ``MAX_BLOCK_CHARS`` characters is cut at a line boundary for the
  same reason.
* **Own sentence splitter.** No PyPI splitter fits: NLTK's punkt and spaCy need
  a model download, pysbd is slow (a Python loop of ~100 regexes per text) and
  has no French medical abbreviations. French needs few rules: split after
  ``. ! ? …`` (and closing quotes) when the next word starts with a capital, a
  digit or an opening quote, except after titles and reference abbreviations
  (``M.``, ``Dr.``, ``p. ex.``, ``cf.``, ``et al.``), initials (``J. Dupont``)
  and dotted forms (``J.-C.``, ``i.e.``). Decimals (``2.5 mg``, ``0,5``) never
  have a space after the separator, so they never split. ``etc.`` ends a
  sentence when a capital follows. Known trade-off: a capital letter before a
  period (``vitamine C. Le ...``) reads as an initial and does not split.
* **Language ID with py3langid**, which ships its model (no download). It is
  applied per *group* of consecutive sentences by default (at least
  ``lang_group_chars`` characters): a single short sentence is too little text
  for a reliable guess, while a whole document would keep an English abstract
  inside a French thesis. ``document`` and ``sentence`` scopes are available.
* **Dedup by 8-byte hashes** (BLAKE2b) in ``HashSet64``, an open-addressing
  numpy table kept between one quarter and one half full: 16 to 32 bytes per
  unique sentence (about 1-2 GB for NACHOS's ~60 M sentences), where a Python
  ``set`` of ints costs ~70 bytes. The chance that two different sentences share
  a 64-bit hash is about n^2 / 2^65 (~1e-4 for 60 M sentences).
* **Nothing half-written.** Output goes to ``<output>.tmp`` and is renamed at the
  end; an error, or a corpus left empty by the filters, removes it.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import functools
import gzip
import hashlib
import json
import os
import re
import sys
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from medfr_eval.errors import MedfrError
from medfr_eval.fileio import write_json_atomic

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

#: Why a sentence was dropped, in the order the checks run (the first failing
#: check is the one counted).
DROP_REASONS = (
    "too_short",
    "too_long",
    "boilerplate",
    "repeated_chars",
    "few_letters",
    "many_digits",
    "many_punct",
    "language",
    "duplicate",
)

LANG_SCOPES = ("group", "document", "sentence")
DEDUP_SCOPES = ("corpus", "document", "none")


class CorpusError(MedfrError):
    """Bad corpus input or options; the message names the file, line and field."""


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class CorpusConfig:
    """Filter thresholds. Defaults aim at the study's "aggressive" filtering of web text."""

    min_words: int = 5
    min_chars: int = 25
    max_chars: int = 2000
    min_letter_ratio: float = 0.6  # letters / non-space characters
    max_digit_ratio: float = 0.25  # digits / non-space characters
    max_punct_ratio: float = 0.15  # other symbols / non-space characters
    max_char_repeat: int = 5  # longest run of one character ("......", "!!!!!!"); 0 = no check
    boilerplate: bool = True  # URLs, e-mails, cookie banners, "tous droits réservés"...
    lang: str = "fr"
    lang_threshold: float = 0.7  # py3langid normalised probability
    lang_scope: str = "group"
    lang_group_chars: int = 300
    dedup_scope: str = "corpus"
    text_field: str = "text"  # JSONL field / parquet column holding the text

    def validate(self) -> None:
        """Refuse options that make no sense, naming the option."""
        for name in ("min_words", "min_chars", "max_chars", "max_char_repeat", "lang_group_chars"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise CorpusError(f"option {name!r} must be a non-negative integer, got {value!r}")
        if self.max_char_repeat > 1000:
            raise CorpusError(
                "option 'max_char_repeat' must be at most 1000 (0 turns the check off)"
            )
        for name in ("min_letter_ratio", "max_digit_ratio", "max_punct_ratio", "lang_threshold"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise CorpusError(f"option {name!r} must be between 0 and 1, got {value!r}")
        if self.min_chars > self.max_chars:
            raise CorpusError(
                f"option 'min_chars' ({self.min_chars}) is above 'max_chars' ({self.max_chars})"
            )
        if self.lang_scope not in LANG_SCOPES:
            raise CorpusError(
                f"option 'lang_scope' must be one of {LANG_SCOPES}, got {self.lang_scope!r}"
            )
        if self.dedup_scope not in DEDUP_SCOPES:
            raise CorpusError(
                f"option 'dedup_scope' must be one of {DEDUP_SCOPES}, got {self.dedup_scope!r}"
            )
        if self.lang and not re.fullmatch(r"[a-z]{2,3}", self.lang):
            raise CorpusError(
                f"option 'lang' must be an ISO 639-1 code such as 'fr', got {self.lang!r}"
            )
        if not self.text_field:
            raise CorpusError("option 'text_field' must not be empty")


@dataclass
class CorpusReport:
    """What was read, kept and dropped (written as JSON next to the output)."""

    inputs: list[str]
    output: str
    config: dict[str, Any]
    bytes_read: int = 0
    documents_read: int = 0
    documents_kept: int = 0
    documents_dropped: int = 0  # no sentence left after filtering
    sentences_read: int = 0
    sentences_kept: int = 0
    dropped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DROP_REASONS, 0))
    words_written: int = 0
    chars_written: int = 0
    unique_hashes: int = 0
    dedup_table_bytes: int = 0
    wall_time_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# --------------------------------------------------------------------------- dedup


class HashSet64:
    """A set of 64-bit hashes in one numpy array (open addressing, linear probing).

    Why not a Python ``set``: ~70 bytes per int entry against 16-32 bytes here,
    which is the difference between 4 GB and 1-2 GB on NACHOS. Batches are
    inserted with vectorised probing, so the cost per sentence stays in C.
    Slot value 0 means empty; a hash equal to 0 is stored as 1 (one more
    collision pair among 2^64, harmless).
    """

    def __init__(self, capacity: int = 1 << 16) -> None:
        size = 1
        while size < max(capacity, 16):
            size <<= 1
        self._table = np.zeros(size, dtype=np.uint64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def nbytes(self) -> int:
        return int(self._table.nbytes)

    def add(self, keys: np.ndarray) -> np.ndarray:
        """Insert ``keys``; return a mask, True where the key was not seen before.

        Within the batch only the first occurrence of a key counts as new, so
        the result is the same as inserting one key at a time.
        """
        keys = np.asarray(keys, dtype=np.uint64)
        is_new = np.zeros(len(keys), dtype=bool)
        if len(keys) == 0:
            return is_new
        keys = np.where(keys == 0, np.uint64(1), keys)
        uniq, first = np.unique(keys, return_index=True)
        while (self._size + len(uniq)) * 2 > len(self._table):
            self._grow()
        inserted = self._insert(uniq)
        is_new[first[inserted]] = True
        return is_new

    def _grow(self) -> None:
        old = self._table[self._table != 0]
        self._table = np.zeros(len(self._table) * 2, dtype=np.uint64)
        self._size = 0
        self._insert(old)

    def _insert(self, keys: np.ndarray) -> np.ndarray:
        """Insert distinct keys; True where a key was absent."""
        table = self._table
        mask = np.uint64(len(table) - 1)
        result = np.zeros(len(keys), dtype=bool)
        pending = np.arange(len(keys))
        slots = keys & mask
        while pending.size:
            k = keys[pending]
            s = slots[pending]
            current = table[s]
            found = current == k
            empty = current == 0
            done = found.copy()
            empty_idx = np.flatnonzero(empty)
            if empty_idx.size:
                # Several pending keys may want the same empty slot: the first
                # takes it, the others see it occupied next round and move on.
                _, first = np.unique(s[empty_idx], return_index=True)
                winners = empty_idx[first]
                table[s[winners]] = k[winners]
                result[pending[winners]] = True
                self._size += len(winners)
                done[winners] = True
            occupied = ~found & ~empty
            slots[pending[occupied]] = (s[occupied] + np.uint64(1)) & mask
            pending = pending[~done]
        return result


def sentence_hash(sentence: str) -> bytes:
    """8-byte BLAKE2b digest: stable across runs and processes (``hash()`` is salted)."""
    return hashlib.blake2b(sentence.encode("utf-8"), digest_size=8).digest()


# --------------------------------------------------------------------------- segmenter

# Abbreviations after which a period does not end a sentence even before a
# capital (lower case, without the period). Titles come first: they are
# always followed by a name.
ABBREVIATIONS = frozenset(
    """
    m mm mme mmes mlle mlles dr drs pr prs me mgr st ste
    cf ex p pp fig figs tab vol chap art éd ed coll n no nos env approx resp
    cit op ibid id al vs ca sq sqq suiv av apr hab tél réf
    """.split()
)

_BOUNDARY = re.compile(r"[.!?…]+[\"»”’)\]]*\s+(?=[«\"“(\[]?\s?[A-ZÀ-ÖØ-ÞŒ0-9])")
_BULLET = re.compile(r"^(?:[-–—•·*▪►]|\d{1,3}[.)]\s)")
_TERMINAL = tuple('.!?…:;»"”)')


def _is_abbreviation(text: str, end: int) -> bool:
    """True when the period at ``text[end]`` closes an abbreviation, not a sentence."""
    token = text[text.rfind(" ", 0, end) + 1 : end].lstrip('(«"“[')
    if not token:
        return False
    low = token.lower()
    if low == "etc":
        return False
    if low in ABBREVIATIONS:
        return True
    if len(token) == 1 and token.isupper():  # an initial: "J. Dupont"
        return True
    # Dotted forms: "J.-C.", "i.e.", "e.g.", "U.S.A."
    return "." in token and len(token) <= 8


def split_sentences(text: str) -> list[str]:
    """Split one paragraph (whitespace already collapsed) into sentences."""
    sentences: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        punct_end = m.start()
        if m.group(0).rstrip().rstrip('"»”’)]') == "." and _is_abbreviation(text, punct_end):
            continue
        end = m.end()
        sentence = text[start:end].strip()
        if sentence:
            sentences.append(sentence)
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def paragraphs(text: str) -> list[str]:
    """Cut a document into paragraphs, whitespace collapsed.

    Blank lines end a paragraph. A single newline is a soft wrap (joined with a
    space), except before a bullet, or after an unpunctuated line followed by a
    capital (a heading: "Posologie" then "Le traitement ..."), so headings and
    list items do not glue onto the next sentence.
    """
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            out.append(" ".join(" ".join(buf).split()))
            buf.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if buf:
            prev = buf[-1]
            if _BULLET.match(line) or (not prev.endswith(_TERMINAL) and line[0].isupper()):
                flush()
        buf.append(line)
    flush()
    return out


# --------------------------------------------------------------------------- filters

# Markers of web boilerplate, matched on the lower-cased sentence. Plain
# literals, no IGNORECASE and no "\S+@\S+" e-mail pattern: those made this
# check 8x slower, and a bare "@" is as good a sign of an address.
BOILERPLATE_MARKERS = (
    "http://",
    "https://",
    "www.",
    "@",
    "cookie",
    "javascript",
    "tous droits réservés",
    "copyright",
    "©",
    "cliquez ici",
    "cliquer ici",
    "lire la suite",
    "en savoir plus",
    "mentions légales",
    "politique de confidentialité",
    "abonnez-vous",
    "newsletter",
    "lorem ipsum",
    "partager sur",
)
_BOILERPLATE = re.compile("|".join(map(re.escape, BOILERPLATE_MARKERS)))
_NOT_LETTER = re.compile(r"[\W\d_]+")
_DIGITS = "0123456789"


@functools.lru_cache(maxsize=8)
def _compile_repeat(n: int) -> re.Pattern[str] | None:
    """A run of more than ``n`` identical non-space characters (explicit backrefs: faster than ``{n,}``); None for 0."""
    return re.compile(r"(\S)" + r"\1" * n) if n else None


def check_sentence(s: str, cfg: CorpusConfig, repeat_re: re.Pattern[str] | None) -> str | None:
    """The first quality check ``s`` fails (a ``DROP_REASONS`` name), or None to keep it.

    Ratios use C-level string operations (``count``, ``re.sub``) rather than a
    per-character Python loop: this runs on every sentence of a 7 GB corpus.
    """
    n = len(s)
    spaces = s.count(" ")
    if spaces + 1 < cfg.min_words or n < cfg.min_chars:
        return "too_short"
    if n > cfg.max_chars:
        return "too_long"
    if cfg.boilerplate and _BOILERPLATE.search(s.lower()):
        return "boilerplate"
    if repeat_re is not None and repeat_re.search(s):
        return "repeated_chars"
    nonspace = n - spaces
    letters = len(_NOT_LETTER.sub("", s))
    if letters < cfg.min_letter_ratio * nonspace:
        return "few_letters"
    digits = sum(map(s.count, _DIGITS))
    if digits > cfg.max_digit_ratio * nonspace:
        return "many_digits"
    if nonspace - letters - digits > cfg.max_punct_ratio * nonspace:
        return "many_punct"
    return None


# --------------------------------------------------------------------------- worker

_IDENTIFIER = None


def _identifier():
    """py3langid's identifier with probabilities, loaded once per process."""
    global _IDENTIFIER
    if _IDENTIFIER is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _IDENTIFIER


def _lang_groups(sentences: list[str], scope: str, group_chars: int) -> list[list[int]]:
    """Indices of the sentences to classify together."""
    if not sentences:
        return []
    if scope == "document":
        return [list(range(len(sentences)))]
    if scope == "sentence":
        return [[i] for i in range(len(sentences))]
    groups: list[list[int]] = []
    cur: list[int] = []
    size = 0
    for i, s in enumerate(sentences):
        cur.append(i)
        size += len(s) + 1
        if size >= group_chars:
            groups.append(cur)
            cur, size = [], 0
    if cur:
        if groups:  # a short tail is too little text for a reliable guess
            groups[-1].extend(cur)
        else:
            groups.append(cur)
    return groups


@dataclass
class _DocResult:
    """One document's surviving sentences (before corpus dedup), sent back to the writer."""

    sentences: list[str]
    paragraph_ids: list[int]
    hashes: bytes  # 8 bytes per sentence


def process_documents(
    docs: list[str], cfg: CorpusConfig
) -> tuple[list[_DocResult], dict[str, int], int]:
    """Segment, filter and language-check a batch of documents.

    Returns the per-document survivors, the drop counts and the number of
    sentences read. Runs in worker processes: no shared state but the
    language identifier.
    """
    repeat_re = _compile_repeat(cfg.max_char_repeat)
    dropped: dict[str, int] = collections.Counter()
    n_read = 0
    results: list[_DocResult] = []
    ident = _identifier() if cfg.lang else None
    for doc in docs:
        doc = unicodedata.normalize("NFC", doc)
        kept: list[str] = []
        para_ids: list[int] = []
        for p_id, para in enumerate(paragraphs(doc)):
            for s in split_sentences(para):
                n_read += 1
                reason = check_sentence(s, cfg, repeat_re)
                if reason is None:
                    kept.append(s)
                    para_ids.append(p_id)
                else:
                    dropped[reason] += 1
        if ident is not None and kept:
            keep_mask = [True] * len(kept)
            for group in _lang_groups(kept, cfg.lang_scope, cfg.lang_group_chars):
                lang, prob = ident.classify(" ".join(kept[i] for i in group))
                if lang != cfg.lang or prob < cfg.lang_threshold:
                    for i in group:
                        keep_mask[i] = False
                    dropped["language"] += len(group)
            kept = [s for s, k in zip(kept, keep_mask, strict=True) if k]
            para_ids = [p for p, k in zip(para_ids, keep_mask, strict=True) if k]
        if cfg.dedup_scope == "document" and kept:
            seen: set[str] = set()
            keep_idx = []
            for i, s in enumerate(kept):
                if s in seen:
                    dropped["duplicate"] += 1
                else:
                    seen.add(s)
                    keep_idx.append(i)
            kept = [kept[i] for i in keep_idx]
            para_ids = [para_ids[i] for i in keep_idx]
        hashes = b"".join(map(sentence_hash, kept)) if cfg.dedup_scope == "corpus" else b""
        results.append(_DocResult(kept, para_ids, hashes))
    return results, dict(dropped), n_read


_WORKER_CFG: CorpusConfig | None = None


def _init_worker(cfg: CorpusConfig) -> None:
    global _WORKER_CFG
    _WORKER_CFG = cfg
    if cfg.lang:
        _identifier()


def _worker_batch(docs: list[str]):
    assert _WORKER_CFG is not None
    return process_documents(docs, _WORKER_CFG)


# --------------------------------------------------------------------------- readers


def file_kind(path: Path) -> str:
    """``txt``, ``jsonl`` or ``parquet`` from the file name; CorpusError otherwise."""
    name = path.name.lower()
    for suffix, kind in SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    raise CorpusError(f"{path}: unknown corpus file type (expected one of {', '.join(SUFFIXES)})")


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
                raise CorpusError(f"{path}: folder holds no corpus file ({', '.join(SUFFIXES)})")
            files.extend(found)
        elif path.is_file():
            file_kind(path)
            files.append(path)
        else:
            raise CorpusError(f"{path}: corpus file not found")
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
        raise CorpusError(f"{path}:{lineno}: not valid UTF-8 text ({exc.reason})") from None
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
        raise CorpusError(f"{path}: cannot read ({exc})") from None


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
                raise CorpusError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from None
            if not isinstance(obj, dict):
                raise CorpusError(
                    f"{path}:{lineno}: expected a JSON object with a {text_field!r} field"
                )
            if text_field not in obj:
                raise CorpusError(f"{path}:{lineno}: field {text_field!r} is missing")
            value = obj[text_field]
            if not isinstance(value, str):
                raise CorpusError(
                    f"{path}:{lineno}: field {text_field!r} must be a string, got {type(value).__name__}"
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
        raise CorpusError(f"{path}: not a readable parquet file ({exc})") from None
    schema = pf.schema_arrow
    if text_field not in schema.names:
        raise CorpusError(f"{path}: column {text_field!r} is missing (columns: {schema.names})")
    col_type = schema.field(text_field).type
    if not (pa.types.is_string(col_type) or pa.types.is_large_string(col_type)):
        raise CorpusError(f"{path}: column {text_field!r} must hold strings, got {col_type}")
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


# --------------------------------------------------------------------------- driver


def _batches(
    files: list[Path], text_field: str, bar, batch_chars: int, batch_docs: int
) -> Iterator[list[str]]:
    batch: list[str] = []
    chars = 0
    for path in files:
        for text, nbytes in read_documents(path, text_field):
            if bar is not None and nbytes:
                bar.update(nbytes)
            if text is None:  # progress only
                continue
            batch.append(text)
            chars += len(text)
            if chars >= batch_chars or len(batch) >= batch_docs:
                yield batch
                batch, chars = [], 0
    if batch:
        yield batch


def _results(batches: Iterator[list[str]], cfg: CorpusConfig, workers: int):
    """Processed batches, in input order, with at most ``2 x workers`` in flight."""
    if workers <= 1:
        for batch in batches:
            yield process_documents(batch, cfg)
        return
    import multiprocessing as mp

    # spawn, not fork: the caller may hold threads (tqdm monitor, torch) that fork would copy.
    # Except when __main__ is not a file spawn can re-import (``python - <<EOF``): spawned
    # workers would die at start-up and the pool would respawn them forever.
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    method = "spawn"
    if main_file and not os.path.exists(main_file) and "fork" in mp.get_all_start_methods():
        method = "fork"
    ctx = mp.get_context(method)
    with ctx.Pool(workers, initializer=_init_worker, initargs=(cfg,)) as pool:
        pending: collections.deque = collections.deque()
        for batch in batches:
            pending.append(pool.apply_async(_worker_batch, (batch,)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _atomic_write_json(path: Path, data: dict) -> None:
    write_json_atomic(path, data)


def default_report_path(output: Path) -> Path:
    name = output.name
    for suffix in (".jsonl.gz", ".jsonl", ".gz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return output.with_name(name + ".report.json")


def prepare_corpus(
    inputs: Sequence[str | Path] | str | Path,
    output: str | Path,
    *,
    config: CorpusConfig | None = None,
    workers: int = 1,
    report_path: str | Path | None = None,
    progress: bool = True,
    batch_chars: int = 1 << 20,
    batch_docs: int = 512,
    **options: Any,
) -> CorpusReport:
    """Prepare a CPT corpus: read, segment, filter, language-check, dedup, write JSONL.

    ``options`` override fields of ``config`` (e.g. ``min_words=3``). The output
    is a ``{"text": ...}`` JSONL file (gzip if it ends in ``.gz``); the report is
    also written as JSON (default ``<output stem>.report.json``). Raises
    CorpusError, with nothing written, on bad input or an empty result.
    """
    from tqdm.auto import tqdm

    start = time.perf_counter()
    cfg = config or CorpusConfig()
    if options:
        unknown = sorted(set(options) - {f.name for f in dataclasses.fields(CorpusConfig)})
        if unknown:
            raise CorpusError(f"unknown corpus option(s): {', '.join(unknown)}")
        cfg = dataclasses.replace(cfg, **options)
    cfg.validate()
    if not isinstance(workers, int) or workers < 1:
        raise CorpusError(f"option 'workers' must be a positive integer, got {workers!r}")
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    files = expand_inputs(inputs)
    out = Path(output)
    report_file = Path(report_path) if report_path else default_report_path(out)
    for f in files:
        if f.resolve() in (out.resolve(), report_file.resolve()):
            raise CorpusError(f"{f}: the output would overwrite an input file")
    if not out.parent.is_dir():
        raise CorpusError(f"{out}: output folder {out.parent} does not exist")

    report = CorpusReport(
        inputs=[str(f) for f in files], output=str(out), config=dataclasses.asdict(cfg)
    )
    seen = HashSet64() if cfg.dedup_scope == "corpus" else None
    tmp = out.with_name(out.name + ".tmp")
    total_bytes = sum(f.stat().st_size for f in files)
    bar = tqdm(
        total=total_bytes,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc="corpus",
        disable=not progress,
        dynamic_ncols=True,
    )
    opener = gzip.open if out.name.endswith(".gz") else open
    try:
        with opener(tmp, "wt", encoding="utf-8") as sink:
            batches = _batches(files, cfg.text_field, bar, batch_chars, batch_docs)
            for results, dropped, n_read in _results(batches, cfg, workers):
                report.sentences_read += n_read
                for reason, n in dropped.items():
                    report.dropped[reason] += n
                if seen is not None:
                    all_hashes = np.frombuffer(b"".join(r.hashes for r in results), dtype=np.uint64)
                    new_mask = seen.add(all_hashes)
                offset = 0
                for r in results:
                    report.documents_read += 1
                    n = len(r.sentences)
                    if seen is not None:
                        keep = new_mask[offset : offset + n]
                        offset += n
                        report.dropped["duplicate"] += int(n - keep.sum())
                        pairs = [
                            (s, p)
                            for s, p, k in zip(r.sentences, r.paragraph_ids, keep, strict=True)
                            if k
                        ]
                    else:
                        pairs = list(zip(r.sentences, r.paragraph_ids, strict=True))
                    if not pairs:
                        report.documents_dropped += 1
                        continue
                    parts = [pairs[0][0]]
                    for (s, p), (_, prev_p) in zip(pairs[1:], pairs, strict=False):
                        parts.append("\n" if p != prev_p else " ")
                        parts.append(s)
                    text = "".join(parts)
                    sink.write(json.dumps({"text": text}, ensure_ascii=False))
                    sink.write("\n")
                    report.documents_kept += 1
                    report.sentences_kept += len(pairs)
                    report.words_written += sum(s.count(" ") + 1 for s, _ in pairs)
                    report.chars_written += len(text)
                bar.set_postfix(docs=report.documents_kept, refresh=False)
        report.bytes_read = total_bytes
        if seen is not None:
            report.unique_hashes = len(seen)
            report.dedup_table_bytes = seen.nbytes
        if report.documents_kept == 0:
            raise CorpusError(
                f"empty corpus after filtering: {report.documents_read} document(s) and "
                f"{report.sentences_read} sentence(s) read from {', '.join(map(str, files))}, none kept "
                f"(dropped: {_format_dropped(report.dropped)}); nothing written to {out}"
            )
        report.wall_time_s = round(time.perf_counter() - start, 3)
        os.replace(tmp, out)
        _atomic_write_json(report_file, report.to_dict())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    return report


def _format_dropped(dropped: dict[str, int]) -> str:
    parts = [f"{k} {v}" for k, v in dropped.items() if v]
    return ", ".join(parts) if parts else "none"


def print_report(report: CorpusReport, console=None) -> None:
    """A rich table of kept and dropped sentences per reason."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(stderr=True)
    total = max(report.sentences_read, 1)
    table = Table(title=f"Corpus: {report.output}")
    table.add_column("sentences", justify="left")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    table.add_row("read", f"{report.sentences_read:,}", "100.0 %")
    table.add_row(
        "[green]kept[/]",
        f"{report.sentences_kept:,}",
        f"{100 * report.sentences_kept / total:.1f} %",
    )
    for reason in DROP_REASONS:
        n = report.dropped.get(reason, 0)
        table.add_row(f"dropped: {reason}", f"{n:,}", f"{100 * n / total:.1f} %")
    console.print(table)
    console.print(
        f"documents: {report.documents_read:,} read, {report.documents_kept:,} kept, "
        f"{report.documents_dropped:,} left empty; {report.words_written:,} words written; "
        f"{report.bytes_read / 2**20:.1f} MiB read in {report.wall_time_s:.1f} s"
    )


# --------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    d = CorpusConfig()
    p = argparse.ArgumentParser(
        prog="medfr-train prepare-corpus",
        description=(
            "Prepare a French medical CPT corpus as the study did: sentence segmentation, "
            "filtering of short or low-quality sentences, French language ID, deduplication. "
            'Streams its input; writes {"text": ...} JSONL and a JSON report.'
        ),
    )
    p.add_argument(
        "inputs", nargs="+", help=".txt, .jsonl, .parquet files (.txt.gz, .jsonl.gz) or folders"
    )
    p.add_argument("-o", "--output", required=True, help="output JSONL (.jsonl or .jsonl.gz)")
    p.add_argument("--report", default=None, help="report JSON (default: <output>.report.json)")
    p.add_argument("--workers", type=int, default=1, help="processes for segmentation and filters")
    p.add_argument("--text-field", default=d.text_field, help="JSONL field / parquet column")
    g = p.add_argument_group("sentence filters")
    g.add_argument("--min-words", type=int, default=d.min_words)
    g.add_argument("--min-chars", type=int, default=d.min_chars)
    g.add_argument("--max-chars", type=int, default=d.max_chars)
    g.add_argument("--min-letter-ratio", type=float, default=d.min_letter_ratio)
    g.add_argument("--max-digit-ratio", type=float, default=d.max_digit_ratio)
    g.add_argument("--max-punct-ratio", type=float, default=d.max_punct_ratio)
    g.add_argument("--max-char-repeat", type=int, default=d.max_char_repeat, help="0: no check")
    g.add_argument("--no-boilerplate-filter", dest="boilerplate", action="store_false")
    g = p.add_argument_group("language and dedup")
    g.add_argument("--lang", default=d.lang, help="language to keep ('' turns language ID off)")
    g.add_argument("--lang-threshold", type=float, default=d.lang_threshold)
    g.add_argument(
        "--lang-scope",
        choices=LANG_SCOPES,
        default=d.lang_scope,
        help="classify groups of sentences (default), whole documents or single sentences",
    )
    g.add_argument("--lang-group-chars", type=int, default=d.lang_group_chars)
    g.add_argument(
        "--dedup-scope",
        choices=DEDUP_SCOPES,
        default=d.dedup_scope,
        help="corpus: 16-32 bytes of RAM per unique sentence; document; none",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    """``medfr-train prepare-corpus``: exit 0 on success, 2 on bad input (nothing written)."""
    args = build_parser().parse_args(argv)
    cfg = CorpusConfig(
        min_words=args.min_words,
        min_chars=args.min_chars,
        max_chars=args.max_chars,
        min_letter_ratio=args.min_letter_ratio,
        max_digit_ratio=args.max_digit_ratio,
        max_punct_ratio=args.max_punct_ratio,
        max_char_repeat=args.max_char_repeat,
        boilerplate=args.boilerplate,
        lang=args.lang,
        lang_threshold=args.lang_threshold,
        lang_scope=args.lang_scope,
        lang_group_chars=args.lang_group_chars,
        dedup_scope=args.dedup_scope,
        text_field=args.text_field,
    )
    try:
        report = prepare_corpus(
            args.inputs,
            args.output,
            config=cfg,
            workers=args.workers,
            report_path=args.report,
            progress=not args.no_progress,
        )
    except MedfrError as exc:
        print(f"medfr-train prepare-corpus: error: {exc}", file=sys.stderr)
        return exc.exit_code
    print_report(report)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
