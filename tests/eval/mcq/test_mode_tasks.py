"""Every MCQ set has its three modes and its permuted orders; the mode groups mirror medfr_all.

A set added to ``medfr_eval.core.sets`` fails here until its leaves exist
(``tasks/gen/<set>_gen.yaml``, ``tasks/constrained/<set>_constrained.yaml``,
and for single-answer sets ``tasks/perm/<set>[_gen|_constrained]_perm{1,2}.yaml``).
"""

from __future__ import annotations

import pytest

from medfr_eval.core.resources import tasks_dir
from medfr_eval.core.sets import ALL_SETS, GROUPS
from medfr_eval.mcq.modes import MODES, task_name

MCQ = [s for s in ALL_SETS if s.kind in ("mcq", "mcq_multi")]
STUDY_MCQ = [s for s in MCQ if s.in_study]


def _expected_tasks():
    for s in MCQ:
        for mode in MODES:
            yield s, mode, 0
            if s.kind == "mcq":
                yield s, mode, 1
                yield s, mode, 2


@pytest.fixture(scope="module")
def manager():
    import medfr_eval

    return medfr_eval.task_manager(include_defaults=False, metadata={"medfr_data": "sample"})


def test_every_mcq_set_has_every_mode_and_order(manager):
    known = set(manager.all_tasks)
    missing = [task_name(s.name, m, k) for s, m, k in _expected_tasks()]
    missing = [t for t in missing if t not in known]
    assert not missing, f"add leaves for: {missing}"


def test_leaves_are_three_lines():
    for sub in ("gen", "constrained", "perm"):
        for leaf in (tasks_dir() / sub).glob("[!_]*.yaml"):
            lines = leaf.read_text(encoding="utf-8").strip().splitlines()
            assert len(lines) == 3 and lines[0].startswith("include: "), leaf


@pytest.mark.parametrize("mode", ["gen", "constrained"])
def test_mode_groups_mirror_the_restricted_groups(manager, mode):
    import yaml

    def members(group_file):
        text = (tasks_dir() / mode / group_file).read_text(encoding="utf-8")
        return yaml.safe_load(text)["task"]

    for group in ("medfr_mmlu", "medfr_mcq_native"):
        expected = [f"{t}_{mode}" for t in GROUPS[group]]
        assert members(f"_{group}_{mode}.yaml") == expected
    translated = members(f"_medfr_mcq_translated_{mode}.yaml")
    flat = [t for t in translated if t != f"medfr_mmlu_{mode}"] + [
        f"{t}_{mode}" for t in GROUPS["medfr_mmlu"]
    ]
    assert sorted(flat) == sorted(f"{t}_{mode}" for t in GROUPS["medfr_mcq_translated"])
    assert members(f"_medfr_all_{mode}.yaml") == [
        f"medfr_mcq_translated_{mode}",
        f"medfr_mcq_native_{mode}",
    ]


def test_every_mode_task_loads(manager):
    """Each leaf's YAML resolves (includes, !function) and builds its docs from the samples."""
    names = [task_name(s.name, m, k) for s, m, k in _expected_tasks()]
    loaded = manager.load(names) if hasattr(manager, "load") else None
    if loaded is None:
        from lm_eval.tasks import get_task_dict

        loaded = get_task_dict(names, manager)
    tasks = loaded.get("tasks", loaded) if isinstance(loaded, dict) else loaded
    assert len(tasks) == len(names)
    for name, task in tasks.items():
        name = getattr(name, "group_name", name)
        docs = list(task.test_docs())
        assert docs, name
        if name.endswith("_perm1") or name.endswith("_perm2"):
            assert all(d["medfr_shift"] == int(name[-1]) for d in docs)


def test_mode_groups_load(manager, tiny_bertscore_env):
    """The mode groups resolve into their members and combine with medfr_all in one run."""
    loaded = manager.load(["medfr_all", "medfr_all_gen", "medfr_all_constrained"])
    names = set(loaded["tasks"]) if isinstance(loaded, dict) and "tasks" in loaded else set()
    if not names:
        from lm_eval.tasks import get_task_dict

        names = set(get_task_dict(["medfr_all", "medfr_all_gen", "medfr_all_constrained"], manager))
    names = {getattr(n, "group_name", n) for n in names}
    for s in STUDY_MCQ:
        assert f"{s.task}_gen" in names and f"{s.task}_constrained" in names
    assert "medfr_kqa" in names  # once, from medfr_all
