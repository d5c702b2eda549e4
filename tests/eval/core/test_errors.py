"""The error format and the one ``--lenient`` policy."""

from __future__ import annotations

import pytest

from medfr_eval.core.errors import DataError, SignifError, refuse_or_warn, refuse_unknown_keys


def test_error_prints_file_line_field_message():
    err = SignifError("bad", file="a.jsonl", line=3, field="doc_id")
    assert str(err) == "a.jsonl:3: doc_id: bad"


def test_strict_raises_the_error_lenient_warns_what_is_done_instead():
    err = SignifError("logs differ", file="a vs b", field="doc_id")
    warned: list[str] = []
    with pytest.raises(SignifError, match="a vs b: doc_id: logs differ"):
        refuse_or_warn(err, lenient=False, warn=warned.append, instead="using the common items")
    assert warned == []
    refuse_or_warn(err, lenient=True, warn=warned.append, instead="using the common items")
    assert warned == ["a vs b: logs differ (--lenient: using the common items)"]


def test_unknown_keys_name_the_first_and_list_the_allowed():
    refuse_unknown_keys({"a": 1}, {"a", "b"})
    with pytest.raises(SignifError, match=r"p\.yaml: pairs\.0\.zy: unknown key; allowed: a, b$"):
        refuse_unknown_keys(
            {"zz": 1, "zy": 2, "a": 0},
            ["b", "a"],
            error=SignifError,
            file="p.yaml",
            prefix="pairs.0",
        )
    with pytest.raises(DataError, match=r"^e\.yaml: 3: unknown key"):
        refuse_unknown_keys({3: "x"}, {"a"}, file="e.yaml")
