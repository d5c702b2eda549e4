"""Reading the judge's one-token answer.

The rubric asks for ``1`` or ``0``. A judge that answers anything else (a
word, an empty string, ``"10"``) gives an *unparsable* verdict: it is kept
with its raw text and counted, and it never becomes a silent 0 or 1. French
``oui``/``non`` are accepted because a one-token judge asked in French may
answer in words; nothing else is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

OK = "ok"
UNPARSABLE = "unparsable"

_WORDS = {"1": 1, "0": 0, "oui": 1, "non": 0}
_STRIP = " \t\r\n.,;:!\"'`*()[]«»"


@dataclass(frozen=True)
class Verdict:
    """One judged item: ``score`` is 1, 0 or None (unparsable); ``raw`` is what the judge said."""

    score: int | None
    raw: str
    cached: bool = False

    @property
    def status(self) -> str:
        return OK if self.score is not None else UNPARSABLE


def parse_verdict(raw: str | None) -> int | None:
    """1, 0, or None when the text is not exactly one of the accepted verdicts."""
    if raw is None:
        return None
    return _WORDS.get(raw.strip(_STRIP).lower())


def make_verdict(raw: str | None, cached: bool = False) -> Verdict:
    text = "" if raw is None else str(raw)
    return Verdict(score=parse_verdict(text), raw=text, cached=cached)
