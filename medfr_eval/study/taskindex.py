"""The tasks and groups medfr ships, read from ``tasks/`` without lm-eval.

A study file names lm-eval tasks or groups (``medfr_all``, ``medfr_kqa``). They must
exist, expand to the sets ``medfr signif`` and the board read, and each leaf's task
version must be known to tell whether a finished run is still current, all before any
model loads. lm-eval's ``TaskManager`` can say this, but it imports torch and indexes
its ~10,000 task files (several seconds); our folder holds a few dozen YAML files, read
here with ``yaml.SafeLoader`` plus lm-eval's ``!function`` tag kept as its text
(nothing is imported or run), ``include:`` chains merged as lm-eval does (a shallow
update, the including file winning).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from medfr_eval.core.resources import tasks_dir


class _TaskLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader (libyaml's when present: ten times faster) plus ``!function``,
    constructed as the plain string it holds."""


_TaskLoader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


@dataclass(frozen=True)
class TaskFile:
    """One task or group YAML of ``tasks/``: its name, members (groups) and version."""

    name: str
    path: Path
    is_group: bool
    members: tuple[str, ...]
    version: Any


@cache
def load_task_yaml(path: Path) -> dict:
    """One task or group YAML with its include chain merged, as lm-eval merges it (the
    including file's keys win); cached, as every leaf includes a template.

    ``yaml.load`` here is ``yaml.safe_load`` with one more tag: ``safe_load`` takes no
    loader, and the loader is a ``SafeLoader`` subclass, so nothing but plain data is
    built. lm-eval's own loader would do, but it is private API and would import
    lm-eval into code that reads task files without it."""
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_TaskLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(doc, dict):
        return {}
    if "include" in doc:
        base = load_task_yaml((path.parent / str(doc["include"])).resolve())
        doc = {**base, **{k: v for k, v in doc.items() if k != "include"}}
    return doc


@cache
def shipped_tasks() -> dict[str, TaskFile]:
    """Every task and group under ``tasks/`` (any depth), by name."""
    found: dict[str, TaskFile] = {}
    for path in sorted(tasks_dir().rglob("*.yaml")):
        doc = load_task_yaml(path)
        name = doc.get("group") or doc.get("task")
        if not isinstance(name, str):
            continue
        members = doc.get("task") if "group" in doc else ()
        members = (
            tuple(m for m in members if isinstance(m, str)) if isinstance(members, list) else ()
        )
        meta = doc.get("metadata")
        version = meta.get("version") if isinstance(meta, dict) else None
        found[name] = TaskFile(name, path, "group" in doc, members, version)
    return found


def leaves(name: str) -> list[str]:
    """The leaf tasks of a task or group, in the group files' order (a leaf: itself)."""
    tasks = shipped_tasks()
    entry = tasks[name]
    if not entry.is_group:
        return [name]
    out: list[str] = []
    for member in entry.members:
        for leaf in leaves(member) if member in tasks else [member]:
            if leaf not in out:
                out.append(leaf)
    return out


def version(task: str) -> Any:
    """The ``metadata.version`` a leaf task's YAML declares (None if it declares none)."""
    entry = shipped_tasks().get(task)
    return entry.version if entry is not None else None
