"""medfr evaluation: the study's 15 French medical sets as plain lm-eval tasks.

Importing this package is cheap on purpose: the ``.pth`` registration hook
imports :mod:`medfr_eval.autoload` at every interpreter start, so nothing heavy
(torch, lm-eval, datasets) may be imported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from lm_eval.tasks import TaskManager

__all__ = ["__version__", "task_manager", "tasks_dir"]


def tasks_dir():
    """Folder holding our lm-eval task YAML (installed copy or the checkout's ``tasks/``)."""
    from medfr_eval.core.resources import tasks_dir as _tasks_dir

    return _tasks_dir()


def task_manager(**kwargs) -> TaskManager:
    """An lm-eval ``TaskManager`` that knows our tasks, whether or not the hook is active.

    Keyword arguments go to ``TaskManager`` (e.g. ``metadata={"medfr_data": "sample"}``).
    """
    from lm_eval.tasks import TaskManager

    from medfr_eval.autoload import with_medfr_tasks

    kwargs["include_path"] = with_medfr_tasks(kwargs.get("include_path"))
    return TaskManager(**kwargs)
