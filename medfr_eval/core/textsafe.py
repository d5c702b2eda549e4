"""Text from input files made safe for the places medfr writes it: CSV cells, Markdown, names.

One guard per hazard, shared by ``medfr-signif`` and the board so that both refuse
the same tricks:

* a CSV cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
  run as a formula by spreadsheets (``=cmd|' /C calc'!A0``): it gets a leading quote;
* bidirectional controls (U+202A-202E, U+2066-2069, U+200E/F, U+061C) make a name
  display as another (``\\u202eblah`` reads right to left): names lose them;
* Markdown passes raw HTML through to most renderers: ``<``, ``>``, ``&`` become
  entities, and ``|`` is escaped so that a name cannot open a table column;
* matplotlib reads text between two ``$`` as mathtext (``$\\frac{$`` stops the
  plot with a parse error): plot labels get every ``$`` escaped.
"""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: formula-looking strings get a leading quote."""
    if isinstance(value, str) and value[:1] in _FORMULA_START:
        return "'" + value
    return value


def strip_bidi(text: str) -> str:
    """``text`` without bidirectional controls (and C0 controls other than tab/newline)."""
    return _CONTROL.sub("", _BIDI.sub("", text))


def clean_name(text: str) -> str:
    """A model name fit for display: no bidi or control characters, no outer spaces."""
    return strip_bidi(text).strip()


def markdown_text(text: str) -> str:
    """``text`` for a Markdown table cell or title: HTML escaped, ``|`` and newlines defused."""
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return out.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def plot_text(text: str) -> str:
    """``text`` for a matplotlib label, shown as typed: no mathtext from ``$``."""
    return text.replace("$", r"\$")
