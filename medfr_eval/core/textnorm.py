"""One Unicode form for every text medfr reads: NFC.

The same French word can be stored composed (``é`` as U+00E9) or decomposed
(``e`` + U+0301, NFD); files exported from some tools (macOS, some Hub dumps)
mix both. Bytes then differ for the same word: a prompt and its hash, an item
id and its serving position, the n-grams of the contamination check. Every
reader of evaluation data, SFT data and contamination input passes its text
through :func:`nfc`, so the same word always has the same bytes.

Pure Python (``unicodedata``): imported by the training side and by readers
that must not pull in torch or lm-eval.
"""

from __future__ import annotations

import unicodedata
from typing import Any


def nfc_text(text: str) -> str:
    """``text`` in Unicode NFC (the string itself when it already is: no copy)."""
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def nfc(value: Any) -> Any:
    """``value`` with every string in NFC, through dicts (keys and values), lists and tuples.

    Other values (numbers, booleans, None) are returned as they are; a record
    read from JSON keeps its shape and types."""
    if isinstance(value, str):
        return nfc_text(value)
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc(v) for v in value]
    if isinstance(value, tuple):
        return tuple(nfc(v) for v in value)
    return value
