"""The strict parser of the 2026 protocol, rule by rule."""

from __future__ import annotations

import pytest

from medfr_eval.mcq.parse import parse_answer

ABCD = list("ABCD")
ABCDE = list("ABCDE")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("B", ["B"]),  # the plain answer
        (" B", ["B"]),  # leading space (the " B" token)
        ("b", ["B"]),  # upper-cased
        ("B\n", ["B"]),  # stripped
        ("(B)", ["B"]),  # parentheses are separators
        ("B.", ["B"]),
        ("B:", ["B"]),
        ("B B", ["B"]),  # de-duplicated, then exactly one
        ("E", None),  # a letter outside the set (4 options)
        ("B C", None),  # single-answer needs exactly one letter
        ("", None),  # nothing
        ("  \n", None),  # only whitespace
        ("B, car", None),  # any other character empties the answer
        ("Bonne", None),
        ("2", None),  # digits are not separators
        ("B\t", ["B"]),  # surrounding whitespace is stripped first
        ("B\tC", None),  # a tab inside is not a separator
        ("-B", None),  # '-' is not a separator
    ],
)
def test_single_answer(text, expected):
    assert parse_answer(text, ABCD, multi=False) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        (" A C", ["A", "C"]),
        ("A,C;D", ["A", "C", "D"]),
        ("a/c|e+b", ["A", "C", "E", "B"]),  # every separator, order of first occurrence kept
        ("C A", ["C", "A"]),
        ("A A C", ["A", "C"]),  # de-duplicated
        ("A\nC", ["A", "C"]),  # newline separates
        ("(A) (C).", ["A", "C"]),
        ("A C F", None),  # F is outside the five letters
        ("A et C", None),
        (",;", None),  # separators without a letter
    ],
)
def test_multi_answer(text, expected):
    assert parse_answer(text, ABCDE, multi=True) == expected
