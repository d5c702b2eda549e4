"""Make ``lm_eval --tasks medfr_all`` find our tasks with no ``--include_path``.

lm-eval 0.4.13 has no entry point for external task folders: ``TaskManager``
scans its own ``lm_eval/tasks`` plus ``include_path``. So the wheel ships a
one-line ``medfr_lm_eval_tasks.pth`` that imports this module at interpreter
start. It only puts a tiny finder on ``sys.meta_path``; nothing is imported
until some code imports ``lm_eval.tasks.manager``. Then, right after that
module runs, ``TaskManager.__init__`` is wrapped to append our task folder to
``include_path`` (unless the caller already passed it). Cost when lm-eval is
not used: one list append at start-up.

Set ``MEDFR_NO_AUTOLOAD=1`` to switch the hook off (``--include_path`` then
still works, as with any external task folder).
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import inspect
import os
import sys
from pathlib import Path
from typing import Any

_TARGET = "lm_eval.tasks.manager"
_MARK = "_medfr_wrapped"


def _same_path(a: Any, b: Path) -> bool:
    try:
        return Path(a).resolve() == b.resolve()
    except (OSError, TypeError):
        return False


def with_medfr_tasks(include_path: Any) -> list:
    """Return ``include_path`` as a list with our task folder appended once."""
    from medfr_eval.resources import tasks_dir

    ours = tasks_dir()
    if include_path is None:
        paths: list = []
    elif isinstance(include_path, (list, tuple)):
        paths = list(include_path)
    else:
        paths = [include_path]
    if not any(_same_path(p, ours) for p in paths):
        paths.append(str(ours))
    return paths


def patch_task_manager(module: Any) -> None:
    """Wrap ``module.TaskManager.__init__`` so that every new manager sees our tasks."""
    cls = getattr(module, "TaskManager", None)
    if cls is None or getattr(cls.__init__, _MARK, False):
        return
    original = cls.__init__
    signature = inspect.signature(original)

    @functools.wraps(original)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        bound = signature.bind(self, *args, **kwargs)
        if "include_path" in signature.parameters:
            bound.arguments["include_path"] = with_medfr_tasks(bound.arguments.get("include_path"))
        original(*bound.args, **bound.kwargs)

    setattr(__init__, _MARK, True)
    cls.__init__ = __init__


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, wrapped: importlib.abc.Loader) -> None:
        self._wrapped = wrapped

    def create_module(self, spec):  # noqa: D102 - loader protocol
        return self._wrapped.create_module(spec)

    def exec_module(self, module) -> None:  # noqa: D102 - loader protocol
        self._wrapped.exec_module(module)
        try:
            patch_task_manager(module)
        except Exception as exc:  # never break lm-eval itself
            print(f"medfr: could not register tasks with lm-eval: {exc}", file=sys.stderr)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)


class _Finder(importlib.abc.MetaPathFinder):
    """One-shot finder: wraps the loader of ``lm_eval.tasks.manager`` and leaves."""

    def find_spec(self, fullname, path, target=None):  # noqa: D102 - finder protocol
        if fullname != _TARGET:
            return None
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _Finder)]
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _PatchingLoader(spec.loader)
        return spec


def install() -> None:
    """Install the hook (idempotent); patch at once if lm-eval is already imported."""
    if os.environ.get("MEDFR_NO_AUTOLOAD", "").strip() not in ("", "0"):
        return
    module = sys.modules.get(_TARGET)
    if module is not None:
        patch_task_manager(module)
        return
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


try:
    install()
except Exception:  # a broken hook must never stop Python from starting
    pass
