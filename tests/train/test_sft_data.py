"""SFT schema validator: names file, line and field; CLI exit 2."""

from __future__ import annotations

import json

import pytest
from train_helpers import SFT_ROWS, write_sft

from medfr_eval.cli import train_main as main
from medfr_train.errors import SFTDataError
from medfr_train.sft_data import summary, validate_file


def test_sample_rows_are_valid(tmp_path):
    rows = validate_file(write_sft(tmp_path / "ok.jsonl"))
    assert {r["type"] for r in rows} == {"mcq", "mcq_multi", "open"}


@pytest.mark.parametrize(
    "row,change,field",
    [
        (1, {"type": "qcm"}, "type"),
        (0, {"answer": "E"}, "answer"),
        (1, {"answer": ["B", "A"]}, "answer"),
        (1, {"source": "web"}, "source"),
        (1, {"options": ["seule"]}, "options"),
        (1, {"difficulty": 3}, "difficulty"),
        (2, {"context": 12}, "context"),
        (2, {"options": ["a", "b"]}, "options"),
        (3, {"question": " "}, "question"),
    ],
)
def test_bad_row_names_line_and_field(tmp_path, row, change, field):
    rows = [dict(r) for r in SFT_ROWS]
    rows[row] = {**rows[row], **change}
    p = tmp_path / "bad.jsonl"
    p.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    with pytest.raises(SFTDataError) as ei:
        validate_file(p)
    assert (ei.value.line, ei.value.field) == (row + 1, field)
    assert main(["validate-sft", str(p)]) == 2


def test_broken_json_empty_and_duplicates(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text(json.dumps(SFT_ROWS[0]) + "\n{pas du json\n", encoding="utf-8")
    with pytest.raises(SFTDataError, match=r"x.jsonl:2: not valid JSON"):
        validate_file(p)
    p.write_text("\n\n", encoding="utf-8")
    with pytest.raises(SFTDataError, match="empty"):
        validate_file(p)
    p.write_text(json.dumps(SFT_ROWS[0]) + "\n" + json.dumps(SFT_ROWS[0]) + "\n", encoding="utf-8")
    with pytest.raises(SFTDataError, match=r":2: id: duplicate of line 1"):
        validate_file(p)
    assert main(["validate-sft", str(tmp_path / "absent.jsonl")]) == 2


def test_cli_ok(tmp_path, capsys):
    assert main(["validate-sft", str(write_sft(tmp_path / "ok.jsonl"))]) == 0
    printed = capsys.readouterr().out
    assert "12 items valid" in printed
    # Counts are labelled in English: with/without context.
    assert summary(SFT_ROWS)["context"] == {"with": 2, "without": 2}
    assert "with=6, without=6" in printed  # write_sft writes SFT_ROWS three times


def test_rows_are_read_in_nfc(tmp_path):
    import unicodedata

    question = "Quel est le traitement de première intention ?"
    nfd = unicodedata.normalize("NFD", question)
    assert nfd != question
    row = {"id": "x1", "type": "open", "question": nfd, "answer": "Un IEC.", "source": "native"}
    path = tmp_path / "sft.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    (read,) = validate_file(path)
    assert read["question"] == question
