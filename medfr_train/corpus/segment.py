"""French sentence segmentation: few rules, French medical abbreviations (see the package docstring)."""

from __future__ import annotations

import re

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
