"""MediQAl read as its authors read it: `correct_answers` strings, null cases, question types.

The files are the dataset card's own (``<config>/test.json``), with the fields its
``dataset_info`` lists and the forms its authors' code reads (abazoge/MediQAl).
"""

from __future__ import annotations

import json

import click
import pytest

from medfr_eval.cli import run
from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import BY_NAME, QUESTION_TYPES
from medfr_eval.data.fetch import fetch
from medfr_eval.data.fetch_cli import fetch as fetch_command
from medfr_eval.data.load import build_docs, load_records, load_set
from medfr_eval.data.public_sources import SOURCES, Tally, synthetic
from medfr_eval.data.public_sources.mediqal import FEWER_THAN_TWO
from medfr_eval.data.question_types import mean_present, split_by_type

MEDIQAL = ("mediqal_mcqu", "mediqal_mcqm", "mediqal_oeq")


def _cli(args: list[str]) -> int:
    return run(click.Group("medfr-data", commands={"fetch": fetch_command}), args, "medfr-data")


@pytest.fixture()
def repo(tmp_path):
    return tmp_path / "repos" / SOURCES["mediqal"].repo


def _convert(folder, sets, tally=None):
    src = SOURCES["mediqal"]
    files = {name: folder / name for name in src.files_for(set(sets))}
    out: dict[str, list[dict]] = {}
    for name, rec, _ in src.convert(files, set(sets), None, tally or Tally()):
        out.setdefault(name, []).append(rec)
    return out


@pytest.mark.parametrize("lines", [False, True], ids=["json-list", "json-lines"])
def test_correct_answers_string_is_the_primary_form(repo, lines):
    def forms(config, rows):
        if config == "mcqm":
            rows[0]["correct_answers"] = "A,C,E"  # the authors' form
            rows[1]["correct_answers"] = "b, d"  # tolerated: lower case, a space
        if config == "mcqu":
            rows[1]["correct_answers"] = "E"

    synthetic.write_mediqal(repo, n=4, mutate=forms, lines=lines)
    out = _convert(repo, set(MEDIQAL))
    assert [r["answers"] for r in out["mediqal_mcqm"]] == [
        ["A", "C", "E"],
        ["B", "D"],
        ["A", "D"],
        ["A", "D"],
    ]
    assert [r["answer"] for r in out["mediqal_mcqu"]] == ["B", "E", "B", "B"]
    assert [("context" in r) for r in out["mediqal_oeq"]] == [True, False, True, False]


def test_question_type_and_subject_reach_every_doc(repo, tmp_path):
    synthetic.write_mediqal(repo, n=4)
    out = tmp_path / "data"
    fetch(list(MEDIQAL), out, repo)
    for name in MEDIQAL:
        docs = load_set(name, medfr_data=str(out))["test"]
        by_id = {d["id"]: d for d in docs}  # served in sha256(id) order, not file order
        rows = [by_id[i] for i in sorted(by_id, key=lambda i: int(i.rsplit("-", 1)[-1]))]
        assert [d["question_type"] for d in rows] == ["Understanding"] * 2 + ["Reasoning"] * 2
        assert [d["medical_subject"] for d in rows] == ["Cardiologie", "Pédiatrie"] * 2


def test_an_unknown_question_type_is_one_line(repo):
    def odd(config, rows):
        rows[2]["question_type"] = "Recall"

    synthetic.write_mediqal(repo, n=4, mutate=odd)
    with pytest.raises(DataError) as err:
        _convert(repo, {"mediqal_oeq"})
    assert str(err.value).startswith("oeq/test.json[2]: question_type: ANR-MALADES/MediQAl: ")


def test_an_mcqm_item_with_fewer_than_two_answers_is_kept_counted_and_warned(
    repo, tmp_path, capsys
):
    def single(config, rows):
        if config == "mcqm":
            rows[1]["correct_answers"] = "C"

    synthetic.write_mediqal(repo, n=4, mutate=single)
    out = tmp_path / "data"
    assert _cli(["fetch", "mediqal_mcqm", "-o", str(out), "--from", str(repo)]) == 0
    manifest = json.loads((out / "MANIFEST.json").read_text())
    assert manifest["sets"]["mediqal_mcqm"]["notes"] == {FEWER_THAN_TWO: 1}
    err = capsys.readouterr().err
    assert "warning: mediqal_mcqm: 1 items have fewer than two correct answers" in err
    assert load_records("mediqal_mcqm", str(out))[1]["answers"] == ["C"]


def test_known_sizes_are_the_cards_test_splits():
    assert [BY_NAME[n].study_size for n in MEDIQAL] == [4343, 3384, 4969]


def test_the_three_mediqal_prompts_name_the_case_alike(repo):
    synthetic.write_mediqal(repo, n=2)
    records = _convert(repo, set(MEDIQAL))
    for name in MEDIQAL:
        prompt = build_docs(BY_NAME[name], records[name])[0]["prompt"]
        assert "Cas clinique : Cas clinique 0" in prompt and "Contexte" not in prompt, name
        assert "précédée d'un cas clinique" in prompt or "posée sur le cas clinique" in prompt
    # PubMedQA's abstract keeps its own label
    pubmed = {"id": "p", "question": "Q ?", "options": ["oui", "non", "peut-être"], "answer": "A"}
    prompt = build_docs(BY_NAME["pubmedqa"], [{**pubmed, "context": "Un résumé."}])[0]["prompt"]
    assert "Contexte : Un résumé." in prompt and "Cas clinique" not in prompt


def test_scores_are_split_by_question_type():
    scores = {"acc": 1.0, "ece": [0.2]}
    doc = {"question_type": "Reasoning"}
    split = split_by_type(doc, scores, ("acc", "judge"))
    assert split == {"acc": 1.0, "ece": [0.2], "acc_understanding": None, "acc_reasoning": 1.0}
    assert split_by_type({"question_type": ""}, scores, ("acc",)) == scores
    values = [split["acc_reasoning"], None, 0.0, None]
    assert mean_present(values) == 0.5 and mean_present([None, None]) is None
    assert QUESTION_TYPES == ("Understanding", "Reasoning")


def test_the_cache_path_warns_of_mcqm_items_with_one_answer_too(
    repo, tmp_path, monkeypatch, capsys
):
    import huggingface_hub

    def single(config, rows):
        if config == "mcqm":
            rows[0]["correct_answers"] = "A"

    synthetic.write_mediqal(repo, n=4, mutate=single)
    monkeypatch.setattr(
        huggingface_hub,
        "hf_hub_download",
        lambda repo_id, filename, revision, repo_type: str(repo / filename),
    )
    monkeypatch.setenv("MEDFR_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MEDFR_DATA", raising=False)
    assert len(load_records("mediqal_mcqm")) == 4
    err = capsys.readouterr().err
    assert "medfr: warning: mediqal_mcqm: 1 items have fewer than two correct answers" in err
