"""Study files: every shipped one loads; bad ones stop with one FILE:LINE: key line, before any model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from medfr_eval.cli import main
from medfr_eval.core.errors import StudyError
from medfr_eval.core.resources import studies_dir
from medfr_eval.study import load_paper_table, load_study

sys.path.insert(0, str(Path(__file__).parent))
from studyfiles import PAIRS, PAPER, STUDY, write_study  # noqa: E402


def _line(path: Path, text: str, nth: int = 1) -> int:
    """The line number of the ``nth`` line of ``path`` holding ``text``."""
    hits = [i for i, ln in enumerate(path.read_text().splitlines(), 1) if text in ln]
    return hits[nth - 1]


def _error(study: Path, **kwargs) -> StudyError:
    with pytest.raises(StudyError) as info:
        load_study(study, **kwargs)
    return info.value


@pytest.mark.parametrize("path", sorted(studies_dir().glob("**/*.yaml")), ids=lambda p: p.name)
def test_every_shipped_study_file_loads_with_its_paper_table(path):
    if path.name == "pairs.yaml":  # a pairs file beside its study
        return
    study = load_study(path)
    assert study.models and study.leaves and study.paper is not None
    figures = load_paper_table(study.paper.tables, study)
    assert {f.model for f in figures} == set(study.names)
    for pair in study.all_pairs():
        assert {pair.model_a, pair.model_b} <= set(study.names)


def test_the_shipped_study_is_the_papers():
    study = load_study("belmadani2025")
    assert len(study.models) == 11 and len(study.leaves) == 15
    assert [p.id for p in study.pairs] == list("ABCDEFGHIJK")
    assert {m.strategy for m in study.models} == {"base", "CPT", "SFT", "CPT+SFT"}
    for m in study.models:  # every Hub id says whether it was confirmed, and where or why not
        assert m.hub_id and isinstance(m.hub_id_confirmed, bool)
        assert m.confirmed_at if m.hub_id_confirmed else m.note
    by = {m.name: m for m in study.models}
    assert by["MedMistral-CPT-SFT-7B"].hub_id == "ik-ram28/MedMistral-CPT-SFT-7B"
    assert by["BioMistral-7B"].hub_id == "BioMistral/BioMistral-7B"
    figures = load_paper_table(study.paper.tables, study)
    assert len(figures) == 11 * (15 + 3)
    rows = [(w.model_a, w.model_b, w.win, w.tie, w.loss) for w in study.paper.win_tie_loss]
    assert ("MedMistral-CPT-SFT-7B", "MedMistral-CPT-7B", 0.67, 0.33, 0.0) in rows
    assert ("MedMistral-CPT-SFT-7B", "MedMistral-SFT-7B", 0.40, 0.54, 0.06) in rows


def test_a_minimal_study_loads_with_paths_beside_the_file(tmp_path):
    study = load_study(write_study(tmp_path / "s"))
    assert study.names == ["model-a", "model-b"]
    assert study.model("model-a").path == (tmp_path / "s" / "models" / "a").resolve()
    assert study.leaves == ("medfr_mmlu_anatomy", "medfr_frmedqa")
    assert [(p.model_a, p.model_b) for p in study.all_pairs()] == [("model-b", "model-a")]


def test_unknown_key_names_its_line(tmp_path):
    path = write_study(tmp_path, study=STUDY.replace("    strategy: CPT", "    strategy: CPT\n    hub_idd: x/y")
                       .format(a="a", b="b", bert="bert"))  # fmt: skip
    err = _error(path)
    assert (err.file, err.line, err.field) == (
        str(path),
        _line(path, "hub_idd"),
        "models[1].hub_idd",
    )
    assert "unknown key" in err.message


def test_a_model_listed_twice_is_refused_at_the_second(tmp_path):
    text = STUDY.format(a="a", b="b", bert="bert").replace("name: model-b", "name: model-a")
    path = write_study(tmp_path, study=text)
    err = _error(path)
    assert (err.line, err.field) == (_line(path, "name: model-a", 2), "models[1].name")
    assert "listed twice" in err.message


def test_a_pair_naming_an_unknown_model_points_into_the_pairs_file(tmp_path):
    path = write_study(tmp_path, pairs=PAIRS.replace("model_b: model-a", "model_b: model-z"),
                       a="a", b="b")  # fmt: skip
    err = _error(path)
    assert (err.file, err.line, err.field) == (str(tmp_path / "pairs.yaml"), 2, "pairs[0].model_b")
    assert "'model-z' is not a model of the study" in err.message


def test_a_task_medfr_does_not_ship_is_refused(tmp_path):
    path = write_study(
        tmp_path,
        study=STUDY.replace("medfr_frmedqa]", "medfr_nope]").format(a="a", b="b", bert="c"),
    )
    err = _error(path)
    assert (err.line, err.field) == (_line(path, "tasks:"), "tasks[1]")
    assert "'medfr_nope' is not a task or group medfr ships" in err.message


def test_a_task_of_another_mode_is_refused_since_signif_would_not_read_it(tmp_path):
    text = STUDY.replace("medfr_frmedqa]", "medfr_frmedqa, medfr_mmlu_anatomy_constrained]")
    err = _error(write_study(tmp_path, study=text.format(a="a", b="b", bert="c")))
    assert err.field == "tasks[2]" and "do not read" in err.message


def test_a_paper_table_with_a_set_the_study_lacks_names_the_csv_line(tmp_path):
    paper = PAPER + "T1,model-a,base,pubmedqa,accuracy_pct,40.00\n"
    path = write_study(tmp_path, paper=paper, a="a", b="b")
    err = _error(path)
    assert (err.file, err.line, err.field) == (str(tmp_path / "paper.csv"), 7, "set")
    assert "'pubmedqa' is not among the study's sets" in err.message


@pytest.mark.parametrize(
    "line, field, words",
    [
        ("T1,model-c,base,mmlu_anatomy,accuracy_pct,25.00", "model", "not a model of the study"),
        ("T1,model-a,SFT,mmlu_anatomy,accuracy_pct,25.00", "strategy", "lists model-a as base"),
        ("T1,model-a,base,mmlu_anatomy,bertscore_f1,0.25", "metric", "reported as accuracy_pct"),
        ("T1,model-a,base,mmlu_anatomy,accuracy_pct,250", "value", "in [0, 100]"),
        ("T1,model-a,base,mean_translated,accuracy_pct,25", "set", "the study lacks"),
    ],
)
def test_bad_paper_rows_name_line_and_column(tmp_path, line, field, words):
    paper = PAPER.replace("T1,model-a,base,mmlu_anatomy,accuracy_pct,25.00", line)
    err = _error(write_study(tmp_path, paper=paper, a="a", b="b"))
    assert (err.line, err.field) == (3, field) and words in err.message


def test_a_hub_id_must_say_whether_it_was_confirmed(tmp_path):
    text = STUDY.format(a="a", b="b", bert="c").replace(
        "    path: a\n", "    hub_id: org/model-a\n"
    )
    path = write_study(tmp_path, study=text)
    err = _error(path)
    assert err.field == "models[0]" and "hub_id_confirmed: required" in err.message
    err = _error(
        write_study(
            tmp_path,
            study=text.replace("org/model-a\n", "org/model-a\n    hub_id_confirmed: false\n"),
        )
    )
    assert "note: required" in err.message


def test_a_key_given_twice_is_refused(tmp_path):
    text = STUDY.format(a="a", b="b", bert="c").replace("name: mini\n", "name: mini\nname: other\n")
    path = write_study(tmp_path, study=text)
    err = _error(path)
    assert (err.line, err.field) == (3, "name") and "given twice (first on line 2)" in err.message


def test_command_line_values_are_checked_and_named_as_such(tmp_path):
    path = write_study(tmp_path, a="a", b="b")
    err = _error(path, overrides=["evaluation.batch_size=0"])
    assert (err.file, err.field) == ("command line", "--set evaluation.batch_size")
    err = _error(path, overrides=["evaluation.tensor_parallel=2"])
    assert "needs a vLLM backend" in err.message
    err = _error(path, model_paths={"model-z": "/x"})
    assert (err.file, err.field) == ("command line", "--model-path model-z")
    study = load_study(
        path, overrides=["evaluation.batch_size=8"], model_paths={"model-a": "elsewhere"}
    )
    assert study.evaluation.batch_size == "8"
    assert study.model("model-a").path == Path("elsewhere").resolve()  # relative to the cwd


def test_study_run_with_a_bad_file_exits_2_in_one_line_before_any_model(tmp_path, capsys):
    path = write_study(
        tmp_path,
        study=STUDY.replace("medfr_frmedqa]", "medfr_nope]").format(a="a", b="b", bert="c"),
    )
    run_dir = tmp_path / "run"
    assert main(["study", "run", str(path), "-o", str(run_dir)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {path}:{_line(path, 'tasks:')}: tasks[1]: 'medfr_nope' is not a task or "
                   "group medfr ships (medfr data list)"]  # fmt: skip
    assert not run_dir.exists()


def test_study_modules_import_no_torch_lm_eval_or_training_stack():
    import subprocess

    code = ("import sys, medfr_eval.study, medfr_eval.study.cli, medfr_eval.study.report; "
            "bad = {'torch', 'lm_eval', 'trl', 'peft', 'accelerate'} & set(sys.modules); "
            "print(sorted(bad)); sys.exit(1 if bad else 0)")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
