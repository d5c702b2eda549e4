"""Check the user's data and prompt templates before lm-eval loads the model.

lm-eval 0.4.13 builds its tasks (and so calls our loader, :func:`medfr_eval.data.load.load_set`)
only after the model is loaded: in ``simple_evaluate`` the model comes first,
``task_manager.load(tasks)`` after. A bad row in a ``MEDFR_DATA`` file or a
broken ``--prompts`` template was then found minutes (a 7B model on a busy
cluster: much more) into the run. ``medfr_eval.autoload`` calls
:func:`check_data` at the start of ``simple_evaluate``, where the requested
task names and the ``--metadata`` are known; under the ``lm_eval`` command its
error is one ``error:`` line and exit 2 (the same wrapper as the MCQ checks).

Only local inputs are looked at (files in the named folder, the user's
templates, medfr's cache of public copies): the Hub is never asked. Before
that, :func:`check_sources` names in one error every requested set that cannot
have data (no file, no Hub source named, no public copy or one that
``HF_HUB_OFFLINE`` forbids downloading), instead of lm-eval loading the model and
stopping at the first such set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from medfr_eval.core.errors import DataError


def _settings(metadata: Any, task_manager: Any) -> dict:
    from medfr_eval.mcq.modes import _metadata

    meta = dict(_metadata(getattr(task_manager, "metadata", None) or {}))
    meta.update(_metadata(metadata))
    return meta


def _requested(tasks: Any) -> list:
    from medfr_eval.mcq.modes import requested_sets

    if isinstance(tasks, str):
        tasks = tasks.split(",")
    return requested_sets(tasks or ())


def check_sources(tasks: Any, metadata: Any = None, task_manager: Any = None) -> None:
    """Every requested set can have data, or one :class:`DataError` names all that cannot."""
    from medfr_eval.data.availability import check_available

    sets = _requested(tasks)
    if sets:
        meta = _settings(metadata, task_manager)
        check_available(sets, meta.get("medfr_data"), meta.get("medfr_hub"))


def check_data(tasks: Any, metadata: Any = None, task_manager: Any = None) -> int:
    """Validate every requested set's file in the user's data folder and render their prompts.

    Returns the number of sets looked at. Raises :class:`DataError` (file,
    line, field) on the first bad row or template."""
    from medfr_eval.data import prompts
    from medfr_eval.data.availability import resolve_choice
    from medfr_eval.data.load import _from_folder, build_docs, load_records

    sets = _requested(tasks)
    if not sets:
        return 0
    meta = _settings(metadata, task_manager)
    how, folder = resolve_choice(meta.get("medfr_data") or os.environ.get("MEDFR_DATA"))
    prompt_dir = prompts.prompt_dir_from(meta.get("medfr_prompts"))
    looked = 0
    for es in sets:
        records = None
        path = Path(folder) / f"{es.name}.jsonl" if how == "dir" and folder else None
        if path is not None and path.is_file():
            records = _from_folder(es, folder)
            looked += 1
        if prompt_dir is not None:
            if records is None:
                try:  # the shipped samples: enough to render each template once
                    records = load_records(es.name, "sample")
                except (DataError, FileNotFoundError):
                    continue
            build_docs(es, records[:1], prompt_dir)
            looked += 1
    return looked
