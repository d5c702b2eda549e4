"""The variant folders of ``tasks/`` are the generator's output, and follow the set table.

``tasks/gen/``, ``tasks/constrained/`` and ``tasks/perm/`` are written by
``tasks/_generate_configs.py`` from ``medfr_eval/core/sets.py``; these tests fail when a
committed file differs from what the table renders, when a YAML there is not rendered at
all, or when the rendering stops following the table.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from fresh_imports import loaded_by

from medfr_eval.core.sets import ALL_SETS, BY_NAME, EvalSet
from medfr_eval.lmeval import task_configs
from medfr_eval.lmeval.task_configs import FOLDERS, differences, render, write
from medfr_eval.mcq.modes import task_name

ROOT = Path(__file__).resolve().parents[3]
TASKS = ROOT / "tasks"
SCRIPT = TASKS / "_generate_configs.py"


def _committed() -> dict[str, bytes]:
    return {
        path.relative_to(TASKS).as_posix(): path.read_bytes()
        for folder in FOLDERS
        for path in sorted((TASKS / folder).rglob("*"))
        if path.is_file()
    }


def _script(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_regenerating_into_an_empty_folder_gives_the_committed_files(tmp_path):
    assert write(tmp_path) == sorted(f"missing {rel}" for rel in render())
    regenerated = {
        path.relative_to(tmp_path).as_posix(): path.read_bytes()
        for path in sorted(tmp_path.rglob("*"))
        if path.is_file()
    }
    committed = _committed()
    assert sorted(regenerated) == sorted(committed)
    differing = [rel for rel in committed if regenerated[rel] != committed[rel]]
    assert not differing, differing


def test_every_file_of_the_variant_folders_is_rendered():
    assert set(_committed()) == set(render())
    assert differences(TASKS) == []


def test_leaves_carry_the_mode_task_names():
    """The leaf names agree with the names the mode checks parse (medfr_eval.mcq.modes)."""
    expected = set()
    for s in filter(task_configs.is_mcq, ALL_SETS):
        expected |= {task_name(s.name, "free"), task_name(s.name, "constrained")}
        if task_configs.is_permuted(s):
            modes = ("restricted", "free", "constrained")
            expected |= {task_name(s.name, m, k) for m in modes for k in (1, 2)}
    leaves = {
        line.removeprefix("task: ")
        for rel, text in render().items()
        if not rel.rsplit("/", 1)[1].startswith("_")
        for line in text.splitlines()
        if line.startswith("task: ")
    }
    assert leaves == expected


def test_every_include_names_a_file_of_tasks():
    for rel, text in render().items():
        first = text.splitlines()[0]
        if first.startswith("include: "):
            target = (TASKS / rel).parent / first.removeprefix("include: ")
            assert target.is_file(), (rel, first)


def test_a_kind_changed_in_the_table_changes_the_leaves(monkeypatch):
    multi = replace(BY_NAME["frbmedqa"], kind="mcq_multi", n_options=5)
    monkeypatch.setattr(
        task_configs, "ALL_SETS", tuple(multi if s.name == "frbmedqa" else s for s in ALL_SETS)
    )
    files = render()
    assert "include: ../_template_mcq_multi_gen_yaml\n" in files["gen/frbmedqa_gen.yaml"]
    assert not [rel for rel in files if rel.startswith("perm/frbmedqa_")]
    # a multi-answer group member turns the group's comment into the metric of each set
    native = files["gen/_medfr_mcq_native_gen.yaml"]
    assert native.startswith("# As medfr_mcq_native, in génération libre: unweighted mean")
    found = differences(TASKS)
    assert "differs gen/frbmedqa_gen.yaml" in found and "extra perm/frbmedqa_perm1.yaml" in found


def test_a_set_added_to_the_table_gets_its_leaves_and_groups():
    new = EvalSet(
        name="frnewqa",
        title="FrNewQA",
        family="mcq_native",
        kind="mcq",
        n_options=4,
        study_size=100,
        has_context=False,
        description="QCM.",
    )
    files = render((*ALL_SETS, new))
    added = sorted(set(files) - set(render()))
    assert added == sorted(
        ["gen/frnewqa_gen.yaml", "constrained/frnewqa_constrained.yaml"]
        + [f"perm/frnewqa{m}_perm{k}.yaml" for m in ("", "_gen", "_constrained") for k in (1, 2)]
    )
    assert files["perm/frnewqa_perm2.yaml"] == (
        "include: ../frnewqa.yaml\n"
        "task: medfr_frnewqa_perm2\n"
        "dataset_kwargs: {medfr_set: frnewqa, medfr_shift: 2}\n"
    )
    native = files["constrained/_medfr_mcq_native_constrained.yaml"]
    assert "  - medfr_frnewqa_constrained\n" in native
    assert "FrBMedQA accuracy, FrMedMCQA EMR and FrNewQA accuracy." in native
    assert "The 13 MCQ sets of medfr_all" in files["gen/_medfr_all_gen.yaml"]


def test_a_multi_answer_set_without_five_options_is_refused():
    four = replace(BY_NAME["frmedmcqa"], name="frmedmcqa4", n_options=4)
    with pytest.raises(ValueError, match="frmedmcqa4: multi-answer sets with 4 options"):
        render((*ALL_SETS, four))


def test_writing_removes_yaml_no_longer_rendered_and_keeps_the_rest(tmp_path):
    write(tmp_path)
    (tmp_path / "perm" / "gone_perm1.yaml").write_text("task: gone\n", encoding="utf-8")
    (tmp_path / "gen" / "medmcqa_gen.yaml").write_text("edited\n", encoding="utf-8")
    assert write(tmp_path) == ["differs gen/medmcqa_gen.yaml", "extra perm/gone_perm1.yaml"]
    assert differences(tmp_path) == []


def test_check_exits_1_listing_what_differs_and_0_when_nothing_does(tmp_path):
    assert _script("--check").returncode == 0
    for folder in FOLDERS:
        shutil.copytree(TASKS / folder, tmp_path / folder)
    (tmp_path / "gen" / "medmcqa_gen.yaml").unlink()
    (tmp_path / "constrained" / "stray.yaml").write_text("task: stray\n", encoding="utf-8")
    proc = _script("--check", "--tasks-dir", str(tmp_path))
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[:2] == [
        "extra constrained/stray.yaml",
        "missing gen/medmcqa_gen.yaml",
    ]
    assert (tmp_path / "constrained" / "stray.yaml").exists()  # --check writes nothing


def test_the_generator_needs_neither_lm_eval_nor_torch():
    assert loaded_by(["medfr_eval.lmeval.task_configs"], ["lm_eval", "torch", "yaml"]) == []
