"""Readers of the public sources on files in their exact layout, written by us."""

from __future__ import annotations

import pytest

from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import BY_NAME, ENGLISH_TWINS, GROUPS, PUBLIC_SETS, SETS, twin_pairs
from medfr_eval.data.public_sources import SOURCES, Tally, bioinstructqa, letters_from, synthetic


def _convert(source: str, folder, sets, tally=None) -> dict[str, list[dict]]:
    src = SOURCES[source]
    files = {name: folder / name for name in src.files_for(set(sets))}
    out: dict[str, list[dict]] = {}
    for name, rec, _ in src.convert(files, set(sets), None, tally):
        out.setdefault(name, []).append(rec)
    return out


def test_table_extras_keep_medfr_all_the_study_15():
    assert len(SETS) == 15 and GROUPS["medfr_all"] == tuple(s.task for s in SETS)
    assert len(ENGLISH_TWINS) == 10
    assert {s.name for s in PUBLIC_SETS} >= {"frenchmedmcqa", "mediqal_oeq", "en_pubmedqa"}
    assert set(GROUPS["medfr_public"]) == {s.task for s in PUBLIC_SETS}
    assert twin_pairs()["medfr_medqa_4opt"] == "medfr_en_medqa_4opt"
    for s in SETS:
        assert bool(s.public_source) == (s.family == "mcq_translated"), s.name
    assert BY_NAME["en_medmcqa"].study_size == BY_NAME["medmcqa"].study_size


def test_bioinstructqa_french_and_english_share_ids(tmp_path):
    synthetic.write_bioinstructqa(tmp_path, per_corpus=3)
    names = {s.name for s in PUBLIC_SETS if s.public_source == "bioinstructqa"}
    out = _convert("bioinstructqa", tmp_path, names)
    assert set(out) == names
    for fr_name in (n for n in names if not n.startswith("en_")):
        fr, en = out[fr_name], out[f"en_{fr_name}"]
        assert [r["id"] for r in fr] == [r["id"] for r in en]
        assert [r["answer"] for r in fr] == [r["answer"] for r in en]
        assert "échantillon" in fr[0]["question"] and "sample" in en[0]["question"]
        assert len(fr[0]["options"]) == BY_NAME[fr_name].n_options
    assert out["pubmedqa"][0]["context"].startswith("Un résumé")
    assert out["en_pubmedqa"][0]["context"].startswith("An abstract")
    assert "context" not in out["medqa_4opt"][0]


def test_records_of_another_split_are_skipped_and_counted(tmp_path):
    def mark(records):
        records[0]["split"] = "train"

    synthetic.write_bioinstructqa(tmp_path, per_corpus=2, mutate=mark)
    tally = Tally()
    out = _convert("bioinstructqa", tmp_path, {"medqa_4opt"}, tally)
    assert len(out["medqa_4opt"]) == 1
    assert tally.skipped == {"split:train": 1}


def _break(key, value):
    def mutate(records):
        for rec in records:
            if rec["corpus_name"] == "MedQA-5_options":
                if value is KeyError:
                    del rec[key]
                else:
                    rec[key] = value
                break

    return mutate


@pytest.mark.parametrize(
    ("mutate", "field", "needle"),
    [
        (_break("question_translated", KeyError), "question_translated", "non-empty string"),
        (_break("classes", ["A", "B", "C", "D"]), "classes", "expects the letters"),
        (_break("correct_answer_letter", "F"), "correct_answer_letter", "expected one of"),
        (_break("options_translated", {"A": "x", "B": "y"}), "options_translated", "letters"),
        (_break("identifier", KeyError), "identifier", "identifier"),
    ],
)
def test_bad_bioinstructqa_layout_is_one_line(tmp_path, mutate, field, needle):
    synthetic.write_bioinstructqa(tmp_path, per_corpus=2, mutate=mutate)
    with pytest.raises(DataError) as err:
        _convert("bioinstructqa", tmp_path, {"medqa_5opt", "medqa_4opt"})
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"data.zip:{bioinstructqa.MEMBER}[")
    assert f": {field}: " in message and "BioMistral/BioInstructQA" in message and needle in message


def test_zip_without_the_french_file(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "data.zip", "w") as zf:
        zf.writestr("base/overall_test+prompt.json", "[]")
    with pytest.raises(DataError, match="has no langs_processed/French-full.json"):
        _convert("bioinstructqa", tmp_path, {"medqa_4opt"})


@pytest.mark.parametrize("names", [None, ("a", "b", "c", "d", "e")])
def test_frenchmedmcqa_letters_or_named_class_indices(tmp_path, names):
    synthetic.write_frenchmedmcqa(tmp_path, n=4, names=names)
    recs = _convert("frenchmedmcqa", tmp_path, {"frenchmedmcqa"})["frenchmedmcqa"]
    assert [r["answers"] for r in recs] == [["B"], ["A", "C"], ["B"], ["A", "C"]]
    assert len(recs[0]["options"]) == 5


def test_frenchmedmcqa_missing_column(tmp_path):
    def drop(rows):
        for row in rows:
            del row["answer_e"]

    synthetic.write_frenchmedmcqa(tmp_path, mutate=drop)
    with pytest.raises(DataError) as err:
        _convert("frenchmedmcqa", tmp_path, {"frenchmedmcqa"})
    assert str(err.value).startswith("default/test/0000.parquet: answer_e: qanastek/frenchmedmcqa")


def test_mediqal_null_case_means_no_context(tmp_path):
    synthetic.write_mediqal(tmp_path, n=4)
    out = _convert("mediqal", tmp_path, {"mediqal_mcqu", "mediqal_mcqm", "mediqal_oeq"})
    assert [("context" in r) for r in out["mediqal_mcqu"]] == [True, False, True, False]
    assert out["mediqal_mcqu"][0]["answer"] == "B"
    assert out["mediqal_mcqm"][0]["answers"] == ["A", "D"]
    assert out["mediqal_oeq"][1]["answer"].startswith("La réponse")


def test_mediqal_single_answer_with_two_answers_is_refused(tmp_path):
    def two(config, rows):
        if config == "mcqu":
            rows[2]["correct_answers"] = ["A", "B"]

    synthetic.write_mediqal(tmp_path, mutate=two)
    with pytest.raises(DataError) as err:
        _convert("mediqal", tmp_path, {"mediqal_mcqu"})
    assert str(err.value).startswith("mcqu/test.json[2]: correct_answers: ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(["a", "c"], ["A", "C"]), ("A,C", ["A", "C"]), ("A, C", ["A", "C"]), ("B", ["B"])],
)
def test_letters_from_accepts_documented_forms(value, expected):
    assert letters_from(value, "ABCDE", source="s", file="f", field="x") == expected


@pytest.mark.parametrize("value", [["f"], [5], [0], [], ["a", "a"], None, [True]])
def test_letters_from_refuses_the_rest(value):
    with pytest.raises(DataError, match="^f: x: s: "):
        letters_from(value, "ABCDE", source="s", file="f", field="x")
