"""Gold letters come from the ClassLabel names a Hub parquet carries, whatever their order.

The files are written as the Hub writes them: ``datasets.Dataset.to_parquet`` with
``Features`` (``correct_answers`` a ``Sequence(ClassLabel(names=...))``,
``number_correct_answers`` a ``ClassLabel`` named "1"..."5"), so the parquet stores
class indices and keeps the names in its ``huggingface`` schema metadata.
"""

from __future__ import annotations

import json

import click
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medfr_eval.cli import run
from medfr_eval.data.fetch_cli import fetch as fetch_command
from medfr_eval.data.load import load_records
from medfr_eval.data.public_sources import SOURCES, synthetic
from medfr_eval.data.public_sources.frenchmedmcqa import COUNT_DIFFERS, TEST_FILE

N = 12


def _cli(args: list[str]) -> int:
    return run(click.Group("medfr-data", commands={"fetch": fetch_command}), args, "medfr-data")


def _repo(tmp_path):
    return tmp_path / "repos" / SOURCES["frenchmedmcqa"].repo


def _expected() -> list[list[str]]:
    return [[a.upper() for a in synthetic.frenchmedmcqa_gold(i)] for i in range(N)]


@pytest.mark.parametrize(
    "names",
    [("c", "a", "e", "d", "b"), ("a", "b", "c", "d", "e"), ("E", "D", "C", "B", "A")],
    ids=["caedb", "abcde", "EDCBA"],
)
def test_gold_letters_follow_the_classlabel_names_in_any_order(tmp_path, names, capsys):
    path = synthetic.write_frenchmedmcqa(_repo(tmp_path), n=N, names=names)
    stored = pq.read_table(path).column("correct_answers").to_pylist()
    lower = [n.lower() for n in names]
    assert stored[0] == [lower.index(synthetic.frenchmedmcqa_gold(0)[0])]  # indices, not letters
    out = tmp_path / "data"
    assert _cli(["fetch", "frenchmedmcqa", "-o", str(out), "--from", str(tmp_path / "repos")]) == 0
    assert [r["answers"] for r in load_records("frenchmedmcqa", str(out))] == _expected()
    manifest = json.loads((out / "MANIFEST.json").read_text())
    assert manifest["sets"]["frenchmedmcqa"]["notes"] == {}  # every count agrees with its letters
    assert "number_correct_answers" not in capsys.readouterr().err


@pytest.mark.parametrize("names", [("yes", "no", "x", "y", "z"), ("1", "2", "3", "4", "5")])
def test_names_that_are_not_letters_stop_in_one_line_naming_file_and_column(
    tmp_path, names, capsys
):
    def as_names(rows):  # the synthetic gold letters, written as indices 0 and 2
        for row in rows:
            row["correct_answers"] = [0, 2]

    synthetic.write_frenchmedmcqa(_repo(tmp_path), n=N, names=names, mutate=as_names)
    out = tmp_path / "data"
    assert _cli(["fetch", "frenchmedmcqa", "-o", str(out), "--from", str(tmp_path / "repos")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and not out.exists()
    assert err[0].startswith(f"error: {TEST_FILE}: correct_answers: qanastek/frenchmedmcqa: ")
    assert "not distinct letters a-e" in err[0]


def test_number_correct_answers_index_zero_means_one(tmp_path):
    """Index 0 of number_correct_answers is the name "1": a one-answer item agrees."""
    path = synthetic.write_frenchmedmcqa(_repo(tmp_path), n=N)
    stored = pq.read_table(path).column("number_correct_answers").to_pylist()
    assert stored[:2] == [0, 1]  # 1 answer -> index 0, 2 answers -> index 1
    out = tmp_path / "data"
    assert _cli(["fetch", "frenchmedmcqa", "-o", str(out), "--from", str(tmp_path / "repos")]) == 0
    assert json.loads((out / "MANIFEST.json").read_text())["sets"]["frenchmedmcqa"]["notes"] == {}


def test_a_count_that_differs_from_the_letters_is_counted_and_warned(tmp_path, capsys):
    def wrong_count(rows):
        rows[3]["number_correct_answers"] = 5

    synthetic.write_frenchmedmcqa(_repo(tmp_path), n=N, mutate=wrong_count)
    out = tmp_path / "data"
    assert _cli(["fetch", "frenchmedmcqa", "-o", str(out), "--from", str(tmp_path / "repos")]) == 0
    manifest = json.loads((out / "MANIFEST.json").read_text())
    assert manifest["sets"]["frenchmedmcqa"]["notes"] == {COUNT_DIFFERS: 1}
    assert (
        "warning: frenchmedmcqa: 1 items have a number_correct_answers" in capsys.readouterr().err
    )
    assert load_records("frenchmedmcqa", str(out))[3]["answers"] == _expected()[3]


def test_class_indices_without_names_are_refused(tmp_path, capsys):
    rows = synthetic.frenchmedmcqa_rows(N)
    for row in rows:
        row["correct_answers"] = ["abcde".index(a) for a in row["correct_answers"]]
    path = _repo(tmp_path) / TEST_FILE
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), path)  # no huggingface metadata: no names
    assert (
        _cli(["fetch", "frenchmedmcqa", "-o", str(tmp_path / "d"), "--from", str(path.parents[2])])
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"{TEST_FILE}[0]: correct_answers:" in err
    assert "no ClassLabel names" in err


def test_a_class_index_outside_the_names_is_one_line(tmp_path, capsys):
    path = synthetic.write_frenchmedmcqa(_repo(tmp_path), n=N)
    table = pq.read_table(path)  # datasets refuses to write such an index: edit the table
    column = table.column("correct_answers").to_pylist()
    column[2] = [7]
    index = table.schema.get_field_index("correct_answers")
    table = table.set_column(index, "correct_answers", pa.array(column, pa.list_(pa.int64())))
    pq.write_table(table, path)
    out = tmp_path / "data"
    assert _cli(["fetch", "frenchmedmcqa", "-o", str(out), "--from", str(tmp_path / "repos")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {TEST_FILE}[2]: correct_answers: ") and "outside" in err


def test_names_in_the_older_sequence_metadata_are_read(tmp_path):
    """Conversions made with older ``datasets`` wrote ``"_type": "Sequence"``."""
    rows = synthetic.frenchmedmcqa_rows(N)
    names = ["d", "e", "a", "b", "c"]
    for row in rows:
        row["correct_answers"] = [names.index(a) for a in row["correct_answers"]]
        del row["number_correct_answers"]
    label = {"names": names, "num_classes": 5, "id": None, "_type": "ClassLabel"}
    features = {k: {"dtype": "string", "id": None, "_type": "Value"} for k in rows[0]}
    features["correct_answers"] = {"feature": label, "length": -1, "id": None, "_type": "Sequence"}
    meta = {"info": {"features": features}}
    table = pa.Table.from_pylist(rows).replace_schema_metadata({"huggingface": json.dumps(meta)})
    path = _repo(tmp_path) / TEST_FILE
    path.parent.mkdir(parents=True)
    pq.write_table(table, path)
    out = tmp_path / "data"
    assert _cli(["fetch", "frenchmedmcqa", "-o", str(out), "--from", str(tmp_path / "repos")]) == 0
    assert [r["answers"] for r in load_records("frenchmedmcqa", str(out))] == _expected()
