"""The one JSONL line reader: every kind of bad line is one error naming file and line."""

from __future__ import annotations

import pytest

from medfr_eval.core.errors import DataError
from medfr_eval.core.jsonl import iter_jsonl
from medfr_train.errors import SFTDataError


def test_lines_numbered_from_one_blank_lines_skipped_bom_dropped(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\n\n  \n{"b": "x\xe2\x80\xa8y"}\r\n')
    rows = list(iter_jsonl(path))
    assert [(r.number, r.value) for r in rows] == [(1, {"a": 1}), (4, {"b": "x\u2028y"})]
    assert rows[0].nbytes == len(b'\xef\xbb\xbf{"a": 1}\n')


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"a": 1}\n{pas du json\n', r"a\.jsonl:2: not valid JSON \(Expecting"),
        (b'{"a": 1}\n{"b": ', r"a\.jsonl:2: truncated JSONL: last line is incomplete"),
        (b'{"a": 1}\n[1, 2]\n', r"a\.jsonl:2: expected a JSON object"),
        (b'{"a": "\xff"}\n', r"a\.jsonl:1: not UTF-8 \(byte 0xff\)"),
    ],
)
def test_bad_line_raises_the_callers_error(tmp_path, content, message):
    path = tmp_path / "a.jsonl"
    path.write_bytes(content)
    with pytest.raises(SFTDataError, match=message):
        list(iter_jsonl(path, error=SFTDataError))


def test_missing_file_and_non_objects_when_allowed(tmp_path):
    with pytest.raises(DataError, match=r"absent\.jsonl: file not found"):
        list(iter_jsonl(tmp_path / "absent.jsonl"))
    path = tmp_path / "a.jsonl"
    path.write_text("[1]\n2\n", encoding="utf-8")
    assert [r.value for r in iter_jsonl(path, objects=False)] == [[1], 2]


def test_problem_callback_skips_bad_lines_and_replace_keeps_bad_bytes(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a": "\xff"}\nnope\n[1]\n{"b": 2}\n{"c"')
    seen: list[tuple[str, int]] = []
    rows = list(iter_jsonl(path, problem=lambda m, n: seen.append((m, n)), errors="replace"))
    assert [r.value for r in rows] == [{"a": "\ufffd"}, {"b": 2}]
    assert [n for _, n in seen] == [2, 3, 5]
    assert seen[0][0].startswith("not valid JSON") and seen[2][0].startswith("truncated")
