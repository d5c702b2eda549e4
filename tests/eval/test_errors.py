"""The error format and the one ``--lenient`` policy."""

from __future__ import annotations

import pytest

from medfr_eval.errors import SignifError, refuse_or_warn


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
