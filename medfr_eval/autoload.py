"""Make ``lm_eval --tasks medfr_all`` find our tasks with no ``--include_path``.

lm-eval 0.4.13 has no entry point for external task folders: ``TaskManager``
scans its own ``lm_eval/tasks`` plus ``include_path``. So the wheel ships a
one-line ``medfr_lm_eval_tasks.pth`` that imports this module at interpreter
start. It only puts a tiny finder on ``sys.meta_path``; nothing is imported
until some code imports ``lm_eval.tasks.manager``. Then, right after that
module runs, ``TaskManager.__init__`` is wrapped to append our task folder to
``include_path`` (unless the caller already passed it). Cost when lm-eval is
not used: one list append at start-up.

The same hook, when ``lm_eval.models`` runs (lm-eval imports it on the
first model lookup; registering earlier would stop that import), registers our model
classes ``medfr-hf`` and ``medfr-vllm`` with lm-eval's registry as lazy
placeholders (``module:Class``: nothing is imported until someone asks for
``--model medfr-hf``); and when ``lm_eval.evaluator`` runs, it wraps
``simple_evaluate`` so that :func:`medfr_eval.mcq.modes.check_run` refuses a
bad MCQ mode, permutation count or model before the model loads (under the
``lm_eval`` command: one ``error:`` line, exit 2).

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

_MARK = "_medfr_wrapped"

# lm-eval model names -> "module:Class", registered lazily.
MODELS = {
    "medfr-hf": "medfr_eval.mcq.model:MedfrHFLM",
    "medfr-vllm": "medfr_eval.mcq.vllm_model:MedfrVLLM",
}


def _same_path(a: Any, b: Path) -> bool:
    try:
        return Path(a).resolve() == b.resolve()
    except (OSError, TypeError):
        return False


def with_medfr_tasks(include_path: Any) -> list:
    """Return ``include_path`` as a list with our task folder appended once."""
    from medfr_eval.core.resources import tasks_dir

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


def register_models(module: Any) -> None:
    """Register our model classes with lm-eval's registry as lazy ``module:Class`` targets.

    ``module`` is ``lm_eval.models``, just executed: lm-eval's own models are
    registered by then, and ``get_model`` imports that package before any lookup.
    """
    from lm_eval.api.registry import model_registry as registry

    for name, target in MODELS.items():
        if name not in registry:
            registry.register(name, target=target)


def _under_lm_eval_cli() -> bool:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and getattr(spec, "name", "").startswith("lm_eval"):
        return True
    return Path(sys.argv[0]).name in ("lm_eval", "lm-eval") if sys.argv else False


def wrap_simple_evaluate(module: Any) -> None:
    """Check medfr MCQ settings in ``simple_evaluate`` before it builds the model."""
    original = getattr(module, "simple_evaluate", None)
    if original is None or getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def simple_evaluate(*args: Any, **kwargs: Any):
        from medfr_eval.core.errors import MedfrError
        from medfr_eval.mcq.modes import check_run

        bound = inspect.signature(original).bind_partial(*args, **kwargs).arguments
        try:
            check_run(
                bound.get("model"),
                bound.get("tasks"),
                bound.get("metadata"),
                bound.get("task_manager"),
            )
            # every set's data, the user's files and templates, before the model loads
            from medfr_eval.lmeval.preflight import check_data, check_sources

            check_sources(bound.get("tasks"), bound.get("metadata"), bound.get("task_manager"))
            check_data(bound.get("tasks"), bound.get("metadata"), bound.get("task_manager"))
            # the LLM judge's settings, before generation is paid for (medfr_eval.judge.check)
            from medfr_eval.judge.check import check_judge

            check_judge(bound.get("tasks"))
            return original(*args, **kwargs)
        except MedfrError as exc:
            if _under_lm_eval_cli():
                print(f"error: {exc}", file=sys.stderr)
                raise SystemExit(2) from None
            raise

    setattr(simple_evaluate, _MARK, True)
    module.simple_evaluate = simple_evaluate


_PATCHES = {
    "lm_eval.tasks.manager": patch_task_manager,
    "lm_eval.models": register_models,
    "lm_eval.evaluator": wrap_simple_evaluate,
}


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, wrapped: importlib.abc.Loader, patch) -> None:
        self._wrapped = wrapped
        self._patch = patch

    def create_module(self, spec):  # noqa: D102 - loader protocol
        return self._wrapped.create_module(spec)

    def exec_module(self, module) -> None:  # noqa: D102 - loader protocol
        self._wrapped.exec_module(module)
        try:
            self._patch(module)
        except Exception as exc:  # never break lm-eval itself
            print(f"medfr: could not hook into {module.__name__}: {exc}", file=sys.stderr)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)


class _Finder(importlib.abc.MetaPathFinder):
    """Wraps the loaders of the lm-eval modules we patch; leaves once all are seen."""

    def __init__(self) -> None:
        self.pending = {name for name in _PATCHES if name not in sys.modules}

    def find_spec(self, fullname, path, target=None):  # noqa: D102 - finder protocol
        if fullname not in self.pending:
            return None
        self.pending.discard(fullname)
        sys.meta_path[:] = [f for f in sys.meta_path if f is not self]
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            if self.pending:
                sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _PatchingLoader(spec.loader, _PATCHES[fullname])
        return spec


def install() -> None:
    """Install the hook (idempotent); patch at once if lm-eval is already imported."""
    if os.environ.get("MEDFR_NO_AUTOLOAD", "").strip() not in ("", "0"):
        return
    for name, patch in _PATCHES.items():
        module = sys.modules.get(name)
        if module is not None:
            patch(module)
    if any(name not in sys.modules for name in _PATCHES) and not any(
        isinstance(f, _Finder) for f in sys.meta_path
    ):
        sys.meta_path.insert(0, _Finder())


try:
    install()
except Exception:  # a broken hook must never stop Python from starting
    pass
