"""Data loading: sources, schema validation, clear errors naming file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import SETS, get_set
from medfr_eval.data.load import build_docs, letter_sets, load_records, load_set
from medfr_eval.data.records import validate_record


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text(
        "".join(
            (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows
        ),
        encoding="utf-8",
    )
    return path


MCQ = {
    "id": "q1",
    "question": "Quel organe sécrète l'insuline ?",
    "options": ["Le foie", "Le pancréas", "La rate", "Le rein"],
    "answer": "B",
}


@pytest.mark.parametrize("s", SETS, ids=lambda s: s.name)
def test_every_shipped_sample_loads(s):
    records = load_records(s.name, "sample")
    assert 5 <= len(records) <= 20
    docs = build_docs(s, records)
    assert all(d["prompt"] for d in docs)


def test_letter_sets_are_the_31_non_empty_sets():
    sets = letter_sets(5)
    assert len(sets) == len(set(sets)) == 31
    assert sets[0] == "A" and sets[-1] == "A B C D E" and "A C" in sets


def test_local_folder_source(tmp_path, monkeypatch):
    write_jsonl(tmp_path / "medqa_4opt.jsonl", [MCQ, {**MCQ, "id": "q2", "answer": "D"}])
    ds = load_set("medqa_4opt", medfr_data=str(tmp_path))["test"]
    # served by the hash of the id (q2 first), not in file order
    assert ds["id"] == ["q2", "q1"] and ds["gold"] == [3, 1]
    assert ds["choices"][0] == ["A", "B", "C", "D"]
    monkeypatch.setenv("MEDFR_DATA", str(tmp_path))
    assert len(load_records("medqa_4opt")) == 2


def test_missing_set_says_where_it_looked(tmp_path):
    with pytest.raises(DataError) as err:
        load_records("kqa", str(tmp_path))
    msg = str(err.value)
    assert str(tmp_path / "kqa.jsonl") in msg and "sample" in msg and "medfr data convert" in msg


def test_hub_without_known_copy_explains_how_to_provide(monkeypatch):
    monkeypatch.delenv("MEDFR_DATA", raising=False)
    with pytest.raises(DataError, match="no known Hub copy.*medfr_hub"):
        load_records("frmedqa")


@pytest.mark.parametrize(
    "row,field",
    [
        ({**MCQ, "answer": "E"}, "answer"),
        ({**MCQ, "options": MCQ["options"][:3]}, "options"),
        ({k: v for k, v in MCQ.items() if k != "question"}, "question"),
        ({**MCQ, "question": "   "}, "question"),
        ({**MCQ, "options": ["a", "", "c", "d"]}, "options[1]"),
    ],
)
def test_malformed_row_names_file_line_field(tmp_path, row, field):
    path = write_jsonl(tmp_path / "medqa_4opt.jsonl", [MCQ | {"id": "ok"}, row])
    with pytest.raises(DataError) as err:
        load_records("medqa_4opt", str(tmp_path))
    assert err.value.file == str(path) and err.value.line == 2 and err.value.field == field
    assert str(err.value).startswith(f"{path}:2: {field}: ")


def test_broken_json_line(tmp_path):
    write_jsonl(tmp_path / "medqa_4opt.jsonl", [MCQ, "{pas du json"])
    with pytest.raises(DataError, match=r"medqa_4opt.jsonl:2: not valid JSON"):
        load_records("medqa_4opt", str(tmp_path))


def test_empty_set_is_an_error(tmp_path):
    (tmp_path / "medqa_4opt.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(DataError, match="empty"):
        load_records("medqa_4opt", str(tmp_path))


def test_duplicate_ids(tmp_path):
    write_jsonl(tmp_path / "medqa_4opt.jsonl", [MCQ, MCQ])
    with pytest.raises(DataError, match="duplicate id 'q1'"):
        load_records("medqa_4opt", str(tmp_path))


def test_multi_answer_and_case_schemas():
    es = get_set("frmedmcqa")
    rec = validate_record(
        es, {"id": 1, "question": "q", "options": list("abcde"), "answers": ["C", "A"]}
    )
    assert rec["answers"] == ["A", "C"] and rec["id"] == "1"
    with pytest.raises(DataError, match="answers"):
        validate_record(
            es, {"id": 1, "question": "q", "options": list("abcde"), "answers": ["A", "A"]}
        )
    case = get_set("frclinicalqa")
    with pytest.raises(DataError) as err:
        validate_record(
            case,
            {
                "id": "x",
                "case_id": "c",
                "case": "cas",
                "position": 0,
                "question": "q",
                "answer": "r",
            },
        )
    assert err.value.field == "position"


def test_pubmedqa_context_is_optional_as_in_biomistrals_loader():
    """BioMistral's loader serves a PubMedQA record whose abstract is null without one."""
    es = get_set("pubmedqa")
    rec = {"id": "p", "question": "q", "options": ["oui", "non", "peut-être"], "answer": "A"}
    assert "context" not in validate_record(es, rec)
    assert validate_record(es, {**rec, "context": "Un résumé."})["context"] == "Un résumé."
    with pytest.raises(DataError) as err:
        validate_record(es, {**rec, "context": 3})
    assert err.value.field == "context"


def test_hub_path_with_column_mapping(tmp_path):
    """The real Hub code path (datasets.load_dataset) on a local dataset folder, with a sources file."""
    folder = tmp_path / "foreign"
    folder.mkdir()
    write_jsonl(
        folder / "test.jsonl",
        [
            {
                "qid": 7,
                "q": "Quel organe sécrète l'insuline ?",
                "opa": "Le foie",
                "opb": "Le pancréas",
                "opc": "La rate",
                "opd": "Le rein",
                "cop": 1,
            },
        ],
    )
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"medmcqa:\n  path: {folder}\n  split: test\n"
        "  columns: {id: qid, question: q, options: [opa, opb, opc, opd], answer: cop}\n"
        "  answer_format: index0\n",
        encoding="utf-8",
    )
    recs = load_records("medmcqa", "hub", medfr_hub=str(sources))
    assert recs == [
        {
            "id": "7",
            "question": "Quel organe sécrète l'insuline ?",
            "options": ["Le foie", "Le pancréas", "La rate", "Le rein"],
            "answer": "B",
        }
    ]


def test_sources_file_unknown_key(tmp_path):
    sources = tmp_path / "s.yaml"
    sources.write_text("medmcqa:\n  path: x\n  colums: {}\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_records("medmcqa", "hub", medfr_hub=str(sources))
    assert err.value.field == "medmcqa.colums" and str(sources) in str(err.value)
