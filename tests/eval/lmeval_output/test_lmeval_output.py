"""The one reader of lm-eval output folders: significance and the board see the same runs.

Folders are written by the board's and the significance tests' fixture writers
(both follow lm-eval 0.4.13's on-disk format); the real lm-eval output is read in
tests/board/test_board_lmeval_run.py and tests/eval/signif/test_signif_lmeval.py.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from medfr_eval import lmeval_output as lo
from medfr_eval import signif
from medfr_eval.board.collect import read_runs
from medfr_eval.cli import board_main, signif_main
from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import BY_TASK, SETS

TESTS = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(TESTS / "board"), str(TESTS / "eval" / "signif")]
from board_fixtures import BASE, CPT, DATE, N_ITEMS, write_run  # noqa: E402
from signif_fixtures import binary, edit_line  # noqa: E402
from signif_fixtures import write_run as write_signif_run  # noqa: E402

LATER = "2025-06-02T10-00-00.000000"


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def test_significance_and_board_read_the_same_folder_alike(tmp_path):
    out = tmp_path / "out"
    write_run(out, BASE, 0.5, seed=1)
    write_run(out, CPT, 0.7, seed=2)
    board = {r.model_name: r for r in read_runs([out])}
    runs = {r.name: r for r in signif.load_runs([out])}
    assert set(board) == set(runs) == {BASE, CPT}
    for name, run in runs.items():
        assert set(run.tasks) == set(board[name].tasks) == {s.task for s in SETS}
        for task, log in run.tasks.items():
            tr = board[name].tasks[task]
            assert tr.log is not None and tr.values == log.values.tolist()
            assert tr.prompt_digest == log.prompt_digest and len(log.prompt_digest) == 64
            assert log.n == tr.n_effective == N_ITEMS
            assert np.mean(log.values) == pytest.approx(tr.score)
    frc = runs[BASE].tasks["medfr_frclinicalqa"]
    assert frc.clusters == board[BASE].tasks["medfr_frclinicalqa"].clusters
    assert frc.clusters[:4] == ["cas-0", "cas-0", "cas-0", "cas-1"]


def test_results_split_by_task_are_merged_for_both(tmp_path):
    out = tmp_path / "out"
    first = [s.name for s in SETS[:7]]
    write_run(out, BASE, 0.5, sets=first)
    write_run(out, BASE, 0.6, sets=[s.name for s in SETS[7:]], date=LATER)
    (run,) = read_runs([out])
    (srun,) = signif.load_runs([out])
    assert set(run.tasks) == set(srun.tasks) == {s.task for s in SETS}
    assert {t.date for t in run.tasks.values()} == {DATE, LATER}
    # A task rerun later: the latest results row and its sample log win, and it is said.
    write_run(out, BASE, 0.9, sets=[first[0]], date=LATER, seed=5)
    task = BY_TASK["medfr_" + first[0]].task
    (run,) = read_runs([out])
    assert run.tasks[task].date == LATER and run.tasks[task].samples_file.name.endswith(
        f"{LATER}.jsonl"
    )
    assert any(f"using the latest ({LATER})" in n for n in run.notes)


def test_edited_prompt_with_kept_hash_is_refused_by_both(tmp_path, capsys):
    out = tmp_path / "out"
    folder = write_run(out, BASE, 0.5)
    write_run(out, CPT, 0.6)
    log = folder / f"samples_medfr_kqa_{DATE}.jsonl"
    edit_line(log, 2, lambda r: r["arguments"]["gen_args_0"].update(arg_0="Une autre consigne"))
    with pytest.raises(DataError, match=rf"{log}:3: prompt_hash: does not match"):
        lo.read_sample_log(log, "medfr_kqa")
    assert signif_main([str(out), "--out", str(tmp_path / "r")]) == 2
    assert _one_error_line(capsys).startswith(f"error: {log}:3: prompt_hash")
    assert board_main(["reference", str(folder), "-o", str(tmp_path / "ref.json")]) == 2
    assert _one_error_line(capsys).startswith(f"error: {log}:3: prompt_hash")
    assert not (tmp_path / "ref.json").exists()
    warned: list[str] = []
    kept = lo.read_sample_log(log, "medfr_kqa", lenient=True, warn=warned.append)
    assert kept.n == N_ITEMS - 1 and "item dropped" in warned[0]


def test_bad_json_line_exits_2_with_one_line_naming_file_and_line(tmp_path, capsys):
    out = tmp_path / "out"
    folder = write_run(out, BASE, 0.5)
    write_run(out, CPT, 0.6)
    log = folder / f"samples_medfr_pubmedqa_{DATE}.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4][:-5] + "\u00e9}"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert signif_main([str(out), "--out", str(tmp_path / "r")]) == 2
    assert _one_error_line(capsys).startswith(f"error: {log}:5: not valid JSON")
    assert board_main(["build", str(out), "-o", str(tmp_path / "site")]) == 2
    assert _one_error_line(capsys).startswith(f"error: {log}:5: not valid JSON")
    assert not (tmp_path / "r").exists() and not (tmp_path / "site").exists()
    assert board_main(["build", str(tmp_path / "nowhere"), "-o", str(tmp_path / "s")]) == 2
    assert "results folder not found" in _one_error_line(capsys)


def test_results_file_errors_name_file_and_field(tmp_path):
    folder = write_run(tmp_path / "out", BASE, 0.5)
    results = folder / f"results_{DATE}.json"
    data = json.loads(results.read_text(encoding="utf-8"))
    del data["results"]["medfr_kqa"]["bertscore_f1,bertscore"]
    results.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataError, match=r"results\.medfr_kqa\.bertscore_f1,bertscore"):
        lo.read_run(folder)
    data["results"] = []
    results.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataError, match=rf"{results}: results: missing or not an object"):
        lo.read_run(folder)
    results.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(DataError, match="expected a JSON object"):
        lo.read_run(folder)


def test_folder_mixing_two_models_is_refused(tmp_path):
    out = tmp_path / "out"
    folder = write_run(out, BASE, 0.5, sets=["kqa"])
    other = write_run(tmp_path / "x", CPT, 0.5, sets=["pubmedqa"], date=LATER)
    for f in other.iterdir():
        f.rename(folder / f.name)
    with pytest.raises(DataError, match="folder mixes models") as e:
        lo.read_run(folder)
    assert e.value.field == "model_name" and e.value.file.endswith(f"results_{LATER}.json")


def test_truncated_log_is_caught_by_the_sample_count(tmp_path):
    folder = write_run(tmp_path / "out", BASE, 0.5, sets=["pubmedqa"])
    log = folder / f"samples_medfr_pubmedqa_{DATE}.jsonl"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:7]), encoding="utf-8")
    with pytest.raises(
        DataError, match=r"n-samples: 7 samples logged but the results file counts 12"
    ):
        lo.read_run(folder)
    with pytest.raises(DataError, match="truncated or appended"):
        read_runs([folder])


def test_filter_fallback_is_read_and_the_board_refuses_it(tmp_path):
    folder = write_run(tmp_path / "out", BASE, 0.5, sets=["pubmedqa"])
    log = folder / f"samples_medfr_pubmedqa_{DATE}.jsonl"
    spec = BY_TASK["medfr_pubmedqa"]
    log.write_text(log.read_text().replace(f'"filter": "{spec.filter}"', '"filter": "autre"'))
    warned: list[str] = []
    got = lo.read_sample_log(log, spec.task, warn=warned.append)
    assert got.filter == "autre" and got.n == N_ITEMS and "not found" in warned[0]
    from medfr_eval.board.checks import problems

    (run,) = read_runs([folder])
    assert any("scored under filter 'autre'" in p for p in problems(run, {"tasks": {}}))


def test_results_only_folder_scores_for_the_demo_but_not_significance(tmp_path):
    folder = write_run(tmp_path / "out", BASE, 0.5, samples=False)
    scores = lo.headline_scores(tmp_path / "out")
    data = json.loads((folder / f"results_{DATE}.json").read_text(encoding="utf-8"))
    assert scores.model_name == BASE and len(scores.sets) == 15
    for s in SETS:
        assert scores.sets[s.name] == data["results"][s.task][s.result_key]
    # the study's three families; the public-data families have no set in this run
    assert set(scores.families) == set(scores.complete) == {s.family for s in SETS}
    kqa = [s for s in SETS if s.family == BY_TASK["medfr_kqa"].family]
    expected = sum(scores.sets[s.name] for s in kqa) / len(kqa)
    assert scores.families[kqa[0].family] == pytest.approx(expected)
    with pytest.raises(DataError, match="results only: rerun lm_eval with --log_samples"):
        signif.load_runs([folder])
    partial = lo.family_means({"medfr_kqa": 0.5})
    assert (
        partial == {"openqa": 0.5} and lo.family_means({"medfr_kqa": 0.5}, complete_only=True) == {}
    )


def test_task_config_generation_kwargs_and_fewshot(tmp_path):
    folder = write_run(tmp_path / "out", BASE, 0.5, sets=["kqa"])
    results = folder / f"results_{DATE}.json"
    data = json.loads(results.read_text(encoding="utf-8"))
    data["configs"]["medfr_kqa"].update(
        generation_kwargs={"until": ["\n\n"], "max_gen_toks": 256}, num_fewshot=0
    )
    results.write_text(json.dumps(data), encoding="utf-8")
    task = lo.read_run(folder, samples=False).tasks["medfr_kqa"]
    assert task.generation_kwargs["max_gen_toks"] == 256 and task.num_fewshot == 0
    assert task.version == 1.0 and task.n_original == N_ITEMS and task.log is None


def test_sample_log_is_sorted_by_doc_id_and_hashes_kept(tmp_path):
    out = tmp_path / "o"
    ids = [5, 3, 9, 0]
    write_signif_run(out, "m", {"medfr_pubmedqa": binary(4, 2)}, doc_ids={"medfr_pubmedqa": ids})
    log = lo.read_sample_log(next((out / "m").glob("samples_*.jsonl")), "medfr_pubmedqa")
    assert log.doc_ids.tolist() == [0, 3, 5, 9]
    assert log.values.tolist() == [0.0, 1.0, 1.0, 0.0]
    prompt = "Question : Question inventée numéro 0 ?\nRéponse :"
    assert log.prompt_example == prompt
    assert log.prompt_hashes[0] == hashlib.sha256(prompt.encode()).hexdigest()
    assert log.n_logged == 4 and log.clusters is None


def test_reader_signif_and_board_import_neither_torch_nor_lm_eval():
    from fresh_imports import loaded_by

    modules = ["medfr_eval.lmeval_output", "medfr_eval.signif.cli", "medfr_eval.board.cli"]
    assert loaded_by([*modules, "medfr_eval.board.build"], ["torch", "lm_eval"]) == []
