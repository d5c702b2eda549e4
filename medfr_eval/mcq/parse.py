"""The strict answer parser of the 2026 protocol (free and constrained generation).

Rules, in order (the 2026 protocol's strict parser):

1. upper-case the text and strip surrounding whitespace;
2. every character must be one of the set's letters or a separator
   ``, ; / | + . ( ) :``, a space or a newline; anything else (another letter,
   a digit, a word, a tab) makes the whole answer empty, scored wrong;
3. letters are de-duplicated, first occurrence kept;
4. a single-answer item needs exactly one letter; a multi-answer item at
   least one.

No regex search for "the first letter" on purpose: a model that writes
"A, because..." did not answer in the requested form, and the protocol
scores it wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

SEPARATORS = frozenset(",;/|+.():") | {" ", "\n"}


def parse_answer(text: str, letters: Sequence[str], multi: bool) -> list[str] | None:
    """Letters of a generated answer, or ``None`` when the answer is not well formed."""
    allowed = set(letters)
    found: list[str] = []
    for ch in text.upper().strip():
        if ch in allowed:
            if ch not in found:
                found.append(ch)
        elif ch not in SEPARATORS:
            return None
    if not found or (not multi and len(found) != 1):
        return None
    return found
