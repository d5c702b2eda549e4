"""Sentence quality filters: length, boilerplate, repeated characters, letter / digit / symbol ratios."""

from __future__ import annotations

import functools
import re

from medfr_train.corpus.config import CorpusConfig

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
