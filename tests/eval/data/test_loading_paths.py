"""Every task of a set loads the same items, in the same order, whatever its mode or option order.

The tasks are built by lm-eval itself (``TaskManager`` and ``get_task_dict``),
from a data folder and with a contamination report that leaves one item out:
restricted, ``_gen``, ``_constrained``, ``_perm1`` / ``_perm2`` in each mode,
and ``--metadata '{"medfr_permutations": 2}'``.
"""

from __future__ import annotations

import json
import shutil

import pytest

from medfr_eval.core.resources import samples_dir
from medfr_eval.data.load import load_records

BASE = "medfr_medqa_4opt"
VARIANTS = [
    BASE,
    f"{BASE}_gen",
    f"{BASE}_constrained",
    f"{BASE}_perm1",
    f"{BASE}_perm2",
    f"{BASE}_gen_perm1",
    f"{BASE}_constrained_perm2",
]


def _flat(task_dict: dict) -> dict:
    out = {}
    for key, value in task_dict.items():
        if isinstance(value, dict):
            out.update(_flat(value))
        else:
            out[getattr(key, "group_name", key)] = value
    return out


def _tasks(names: list[str], metadata: dict) -> dict:
    import lm_eval.tasks

    import medfr_eval

    tm = medfr_eval.task_manager(include_defaults=False, metadata=metadata)
    return _flat(lm_eval.tasks.get_task_dict(names, tm))


@pytest.fixture(scope="module")
def excluded_run(tmp_path_factory):
    """A data folder (the medqa_4opt sample) and a report excluding its first item."""
    folder = tmp_path_factory.mktemp("data")
    shutil.copy(samples_dir() / "medqa_4opt.jsonl", folder / "medqa_4opt.jsonl")
    ids = [r["id"] for r in load_records("medqa_4opt", str(folder))]
    report = folder / "contaminated.json"
    sets = {"medqa_4opt": {"ids": [ids[0]]}}
    report.write_text(json.dumps({"medfr_contamination_version": 1, "sets": sets}))
    meta = {"medfr_data": str(folder), "medfr_exclude": str(report)}
    return ids, meta


def _ids(task) -> list[str]:
    return [str(doc["id"]) for doc in task.test_docs()]


def test_every_mode_and_option_order_serves_the_same_items(excluded_run):
    ids, meta = excluded_run
    tasks = _tasks(VARIANTS, meta)
    served = _ids(tasks[BASE])
    assert sorted(served) == sorted(ids[1:]), "the excluded item is left out"
    for name in VARIANTS:
        task = tasks[name]
        assert _ids(task) == served, name
        loaded = task.config.metadata["medfr_loaded"]
        assert loaded["items"] == len(ids) and loaded["source"].endswith("medqa_4opt.jsonl")
        assert loaded["size_matches"] is False and loaded["expected_items"] == 1273
    # the shifted tasks ask the same items with other option orders
    base_docs = {d["id"]: d for d in tasks[BASE].test_docs()}
    for doc in tasks[f"{BASE}_perm1"].test_docs():
        base = base_docs[doc["id"]]
        assert doc["options"] == base["options"][1:] + base["options"][:1]
        assert doc["options"][doc["gold"]] == base["options"][base["gold"]]


def test_permutations_in_one_task_serve_the_same_items_in_each_order(excluded_run):
    ids, meta = excluded_run
    plain = _ids(_tasks([BASE], meta)[BASE])
    task = _tasks([BASE], {**meta, "medfr_permutations": 2})[BASE]
    docs = list(task.test_docs())
    assert len(docs) == 3 * len(plain)
    for shift in range(3):
        block = docs[shift * len(plain) : (shift + 1) * len(plain)]
        assert [d["medfr_shift"] for d in block] == [shift] * len(plain)
        assert [str(d["id"]) for d in block] == plain
    assert task.config.metadata["medfr_loaded"]["items"] == len(ids)


def test_strict_sizes_stop_a_shifted_task_as_the_plain_one(excluded_run):
    from medfr_eval.core.errors import DataError

    _, meta = excluded_run
    for name in (BASE, f"{BASE}_perm1"):
        with pytest.raises(DataError, match="medfr_strict_sizes is on"):
            _tasks([name], {**meta, "medfr_strict_sizes": True})
