"""``medfr-data contamination``: the report on files of every format, and bad input."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medfr_eval.cli import run
from medfr_eval.contamination.cli import contamination
from medfr_eval.core.resources import samples_dir
from medfr_eval.data.load import load_records

ROOT_SAMPLES = samples_dir()
FILLER = "Texte de remplissage sans rapport avec les questions d'évaluation, écrit pour ce test."


@pytest.fixture(scope="module")
def planted():
    """Two sample items whose text we slip into training files: one context, one open answer."""
    pub = load_records("pubmedqa", "sample")[0]
    kqa = load_records("kqa", "sample")[1]
    return pub, kqa


def write_training(tmp_path, planted):
    pub, kqa = planted
    txt = tmp_path / "corpus.txt"
    txt.write_text(
        f"{FILLER}\n{FILLER}\n\n{FILLER}\nDébut. {pub['context']} Fin.\n\n{FILLER}\n",
        encoding="utf-8",
    )
    jsonl = tmp_path / "sft.jsonl"
    rows = [
        {"id": "a", "question": FILLER, "answer": FILLER, "source": "native"},
        {"id": "b", "question": "Question libre ?", "answer": kqa["answer"], "source": "native"},
    ]
    jsonl.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    parquet = tmp_path / "train-00000-of-00001.parquet"
    table = pa.table(
        {"instruction": [FILLER, FILLER], "context": [None, FILLER], "answer": ["A", "B"]}
    )
    pq.write_table(table, parquet)
    return txt, jsonl, parquet


def test_report_names_sets_items_and_training_documents(tmp_path, planted, capsys):
    pub, kqa = planted
    txt, jsonl, parquet = write_training(tmp_path, planted)
    out = tmp_path / "out" / "contaminated.json"
    args = [str(txt), str(jsonl), str(parquet), "--against", "pubmedqa,kqa", "--against", "frmedqa"]
    assert run(contamination, [*args, "--data", "sample", "-o", str(out)]) == 0
    rep = json.loads(out.read_text(encoding="utf-8"))
    assert rep["n"] == 13 and set(rep["sets"]) == {"pubmedqa", "kqa", "frmedqa"}
    assert rep["sets"]["pubmedqa"]["ids"] == [pub["id"]]
    assert rep["sets"]["pubmedqa"]["evidence"][pub["id"]] == f"{txt}:4"
    assert rep["sets"]["kqa"]["ids"] == [kqa["id"]]
    assert rep["sets"]["kqa"]["evidence"][kqa["id"]] == f"{jsonl}:2"
    assert rep["sets"]["frmedqa"]["contaminated_items"] == 0
    for s in rep["sets"].values():
        assert s["item_share"] == s["contaminated_items"] / s["items"]
        assert 0 <= s["overlapping_ngrams"] <= s["ngrams"]
    assert 0 < rep["sets"]["pubmedqa"]["ngram_share"] < 1
    files = {t["file"]: t for t in rep["training"]}
    assert files[str(txt)]["documents"] == 3 and files[str(txt)]["contaminated_documents"] == 1
    assert (
        files[str(parquet)]["documents"] == 2 and files[str(parquet)]["contaminated_documents"] == 0
    )
    shown = capsys.readouterr().out
    assert "medfr_pubmedqa" in shown and "medfr_kqa" in shown


def test_field_restricts_the_text_read(tmp_path, planted):
    _, jsonl, _ = write_training(tmp_path, planted)
    out = tmp_path / "c.json"
    assert (
        run(
            contamination,
            [
                str(jsonl),
                "--against",
                "kqa",
                "--data",
                "sample",
                "--field",
                "question",
                "-o",
                str(out),
            ],
        )
        == 0
    )
    assert json.loads(out.read_text())["sets"]["kqa"]["ids"] == []


def test_folder_of_training_files(tmp_path, planted):
    (tmp_path / "data").mkdir()
    write_training(tmp_path / "data", planted)
    out = tmp_path / "c.json"
    assert (
        run(
            contamination,
            [
                str(tmp_path / "data"),
                "--against",
                "medfr_openqa",
                "--data",
                "sample",
                "-o",
                str(out),
            ],
        )
        == 0
    )
    rep = json.loads(out.read_text())
    assert len(rep["training"]) == 3 and rep["totals"]["contaminated_items"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-n", "4"], "-n: n-gram size must be an integer >= 5, got 4"),
        (["--against", "medfr_nope"], "--against: unknown set or group 'medfr_nope'"),
        (["--data", "{tmp}/nodata", "--against", "medfr_frmedqa"], "no data for set"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(tmp_path, planted, capsys, args, message):
    txt, _, _ = write_training(tmp_path, planted)
    out = tmp_path / "c.json"
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert run(contamination, [str(txt), *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]
    assert not out.exists()


def test_bad_training_file_names_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": \n', encoding="utf-8")
    out = tmp_path / "c.json"
    assert (
        run(contamination, [str(bad), "--against", "frmedqa", "--data", "sample", "-o", str(out)])
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {bad}:2: not valid JSON")
    assert not out.exists()
    other = tmp_path / "notes.csv"
    other.write_text("a,b\n")
    assert run(contamination, [str(other), "--data", "sample", "-o", str(out)]) == 2
    assert "unsupported file type" in capsys.readouterr().err
    assert not out.exists()


def test_missing_sets_fail_unless_skipped_and_listed(tmp_path, planted, capsys):
    txt, _, _ = write_training(tmp_path, planted)
    data = tmp_path / "evaldata"
    data.mkdir()
    (data / "pubmedqa.jsonl").write_text(
        (ROOT_SAMPLES / "pubmedqa.jsonl").read_text(encoding="utf-8"), encoding="utf-8"
    )
    out = tmp_path / "c.json"
    base = [str(txt), "--against", "pubmedqa,kqa", "--data", str(data), "-o", str(out)]
    assert run(contamination, base) == 2
    assert "no data for set 'kqa'" in capsys.readouterr().err and not out.exists()
    assert run(contamination, [*base, "--skip-missing"]) == 0
    rep = json.loads(out.read_text())
    assert set(rep["sets"]) == {"pubmedqa"} and set(rep["skipped_sets"]) == {"kqa"}
    assert rep["sets"]["pubmedqa"]["contaminated_items"] == 1
    assert "warning: set kqa not checked" in capsys.readouterr().err
