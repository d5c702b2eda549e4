"""Normalised words and a hashed index of the evaluation side's n-grams.

Why our own code: lm-eval's decontamination (``lm_eval.decontamination``)
builds n-gram files of the *training* set on disk with a pure-Python janitor;
the question here is the reverse (a small evaluation side, a huge training side
streamed once), and plain Python tuples of words run at a few MB/s. The trick:

1. only words that occur in the evaluation items can be part of a match, so
   each training word maps to the id of an evaluation word or to "unknown";
2. the n-gram at every position is a polynomial hash of n word ids, computed
   for a whole batch at once with numpy (n multiply-adds over an array);
3. a bitmap on the top bits of the hash rejects almost every candidate in one
   lookup; the few survivors are searched among the sorted evaluation hashes
   and then compared word id by word id, so a hash collision never counts.

Normalisation (both sides, the same function): Unicode NFC, lower case,
punctuation (ASCII and the usual French typographic marks) turned into spaces,
split on white space. Accents are kept: "côlon" and "colon" are different words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np

#: GPT-3 and lm-eval's decontamination use 13-grams.
DEFAULT_N = 13
#: below this, ordinary phrases ("il s'agit d'une") would flag everything.
MIN_N = 5

UNKNOWN = -1  # a word that no evaluation item contains
SEPARATOR = -2  # a document (or field) boundary: no n-gram crosses it
ITEM_BREAK = -3  # start of the next evaluation item (index building only)
_SEP_WORD = b"\x00"
_SEP_JOIN = " \x00 "
_ITEM_WORD = b"\x01"
_ITEM_JOIN = " \x00 \x01 \x00 "

#: Non-ASCII punctuation seen in French text (apostrophes, guillemets, dashes,
#: non-breaking spaces...): word breaks, like every ASCII character that is not a
#: letter or a digit.
UNICODE_BREAKS = (
    "\u2019\u2018\u00ab\u00bb\u201c\u201d\u2013\u2014\u2026\u00a0\u202f\u00b7\u2022\u00b0\u2212"
)
# Replaced before the byte table; one regex pass is twice as fast as one
# bytes.replace per mark.
_UNICODE_PUNCT = re.compile(b"|".join(re.escape(ch.encode("utf-8")) for ch in UNICODE_BREAKS))


def _ascii_table() -> bytes:
    """Byte table: ASCII letters and digits stay, other ASCII becomes a space.

    Bytes >= 128 (UTF-8 of accented letters) stay; NUL and \\x01 stay because
    they are our separators (texts are cleaned of them before joining)."""
    table = bytearray(range(256))
    for b in range(128):
        ch = chr(b)
        if not (ch.isalnum() or b in (0, 1)):
            table[b] = ord(" ")
    return bytes(table)


_TABLE = _ascii_table()

# 64-bit polynomial hash; numpy's uint64 arithmetic wraps modulo 2**64.
_MULT = np.uint64(0x9E3779B97F4A7C15)
_OFFSET = np.uint64(0x632BE59BD9B4E019)


def normalise(text: str) -> bytes:
    """The normalised UTF-8 bytes of ``text``: NFC, lower case, punctuation as spaces."""
    data = unicodedata.normalize("NFC", text).lower().encode("utf-8")
    data = _UNICODE_PUNCT.sub(b" ", data)
    return data.translate(_TABLE)


def words(text: str) -> list[bytes]:
    """Normalised words of ``text`` (what the n-grams are made of)."""
    return normalise(text.replace("\x00", " ").replace("\x01", " ")).split()


def join_texts(texts: Sequence[str]) -> str:
    """Texts joined with the separator word, so that no n-gram spans two of them.

    A text's own NUL or \\x01 (never in real text, but possible) would shift the
    document count: such texts are cleaned first."""
    joined = _SEP_JOIN.join(texts)
    if joined.count("\x00") != max(len(texts) - 1, 0) or "\x01" in joined:
        joined = _SEP_JOIN.join(t.replace("\x00", " ").replace("\x01", " ") for t in texts)
    return joined


def _same_rows(windows: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int = 1 << 16) -> bool:
    """Whether windows ``a[i]`` and ``b[i]`` hold the same ids, for all i (in chunks, to bound memory)."""
    return all(
        np.array_equal(windows[a[i : i + chunk]], windows[b[i : i + chunk]])
        for i in range(0, len(a), chunk)
    )


def _csr(owner: np.ndarray, gram: np.ndarray, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Per item, its unique n-gram indices: (ptr, grams) sorted by item."""
    width = int(gram.max()) + 1 if len(gram) else 1
    keys = np.sort(owner.astype(np.int64) * width + gram)
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys
    counts = np.bincount(keys // width, minlength=n_items)
    ptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    return ptr, keys % width


def rolling_hashes(ids: np.ndarray, n: int) -> np.ndarray:
    """Hash of every window of ``n`` word ids (``len(ids) - n + 1`` values)."""
    count = len(ids) - n + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    vals = ids.astype(np.uint64) + _OFFSET  # negative ids wrap; they are masked anyway
    h = vals[:count].copy()
    for k in range(1, n):
        np.multiply(h, _MULT, out=h)
        np.add(h, vals[k : k + count], out=h)
    return h


def valid_windows(ids: np.ndarray, n: int) -> np.ndarray:
    """True where a window of ``n`` ids holds only known words (no unknown, no separator)."""
    bad = np.concatenate(([0], np.cumsum(ids < 0, dtype=np.int64)))
    return (bad[n:] - bad[:-n]) == 0


@dataclass
class Matches:
    """Hits of one batch: which evaluation n-gram, in which document of the batch."""

    ngram: np.ndarray  # index into NgramIndex's unique n-grams
    doc: np.ndarray  # index of the document in the batch
    words: int  # words scanned in the batch


@dataclass
class NgramIndex:
    """The evaluation side: a vocabulary and the sorted hashes of its unique n-grams."""

    n: int
    vocab: dict[bytes, int] = field(default_factory=dict)
    hashes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    grams: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.int32))
    _bits: int = 0
    _bitmap: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=bool))

    # ------------------------------------------------------------ building
    def build(self, items: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Index every item's n-grams (items are sequences of text segments).

        Returns the CSR pair (``ptr``, ``grams``): item ``i`` holds the unique
        n-grams ``grams[ptr[i]:ptr[i + 1]]`` (indices into :attr:`hashes`).
        All items are normalised and hashed in one pass, as a scan batch is:
        a per-item loop costs seconds on the study's 11,800 items."""
        joined = _ITEM_JOIN.join(join_texts(segs) for segs in items) if items else ""
        tokens = normalise(joined).split()
        vocab = self.vocab
        vocab[_SEP_WORD] = SEPARATOR
        vocab[_ITEM_WORD] = ITEM_BREAK
        for w in dict.fromkeys(tokens):  # distinct words, in order, at C speed
            if w not in vocab:
                vocab[w] = len(vocab) - 2
        ids = np.fromiter(map(vocab.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        item_of = np.cumsum(ids == ITEM_BREAK)  # item index of every position
        ok = valid_windows(ids, self.n)
        pos = np.flatnonzero(ok)
        h = rolling_hashes(ids, self.n)[pos]
        owner = item_of[pos]
        uniq, first, inverse = np.unique(h, return_index=True, return_inverse=True)
        windows = np.lib.stride_tricks.sliding_window_view(ids, self.n)
        if not _same_rows(windows, pos, pos[first][inverse.reshape(-1)]):
            # two different n-grams share a 64-bit hash (odds ~1e-7 for the study's
            # sets): keep them apart with an exact, slower deduplication
            return self._build_exact(h, windows[pos], owner, len(items))
        self.hashes = uniq
        self.grams = windows[pos[first]].astype(np.int32)
        self._build_bitmap()
        return _csr(owner, inverse.reshape(-1), len(items))

    def _build_exact(
        self, h: np.ndarray, win: np.ndarray, owner: np.ndarray, n_items: int
    ) -> tuple[np.ndarray, np.ndarray]:
        keyed = np.concatenate([h.view(np.int64)[:, None], win], axis=1)
        uniq, inverse = np.unique(keyed, axis=0, return_inverse=True)
        order = np.argsort(uniq[:, 0].view(np.uint64), kind="stable")  # unsigned hash order
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        self.hashes = uniq[order, 0].copy().view(np.uint64)
        self.grams = uniq[order, 1:].astype(np.int32)
        self._build_bitmap()
        return _csr(owner, rank[inverse.reshape(-1)], n_items)

    def _build_bitmap(self) -> None:
        """A presence bitmap on the hash's top bits, about 32 slots per n-gram."""
        size = max(len(self.hashes) * 32, 1 << 16)
        self._bits = min(int(size - 1).bit_length(), 30)
        self._bitmap = np.zeros(1 << self._bits, dtype=bool)
        if len(self.hashes):
            self._bitmap[self.hashes >> np.uint64(64 - self._bits)] = True

    # ------------------------------------------------------------ scanning
    def scan(self, texts: Sequence[str]) -> Matches:
        """Every evaluation n-gram found in ``texts`` (a batch of training documents)."""
        if not texts:
            return Matches(np.empty(0, np.int64), np.empty(0, np.int64), 0)
        tokens = normalise(join_texts(texts)).split()
        get = self.vocab.get
        ids = np.fromiter(map(get, tokens, repeat(UNKNOWN)), dtype=np.int64, count=len(tokens))
        n_words = len(tokens) - (len(texts) - 1)
        empty = Matches(np.empty(0, np.int64), np.empty(0, np.int64), n_words)
        if len(self.hashes) == 0 or len(ids) < self.n:
            return empty
        pos = np.flatnonzero(valid_windows(ids, self.n))
        if len(pos) == 0:
            return empty
        h = rolling_hashes(ids, self.n)[pos]
        keep = self._bitmap[h >> np.uint64(64 - self._bits)]
        pos, h = pos[keep], h[keep]
        lo = np.searchsorted(self.hashes, h, side="left")
        hi = np.searchsorted(self.hashes, h, side="right")
        found = lo < hi
        pos, lo, hi = pos[found], lo[found], hi[found]
        if len(pos) == 0:
            return empty
        windows = np.lib.stride_tricks.sliding_window_view(ids, self.n)
        hit_pos, hit_gram = [], []
        # a hash shared by several n-grams gives several rows to compare: rare
        width = int((hi - lo).max())
        for j in range(width):
            cand = lo + j
            live = cand < hi
            same = np.all(windows[pos[live]] == self.grams[cand[live]], axis=1)
            hit_pos.append(pos[live][same])
            hit_gram.append(cand[live][same])
        positions = np.concatenate(hit_pos)
        grams = np.concatenate(hit_gram).astype(np.int64)
        seps = np.flatnonzero(ids == SEPARATOR)
        docs = np.searchsorted(seps, positions, side="right")
        return Matches(grams, docs.astype(np.int64), n_words)
