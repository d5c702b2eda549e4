"""The three MCQ decoding modes, and the checks made before a model loads.

``restricted`` (default, ``medfr_<set>``): log-likelihood of the allowed
answers. ``free`` (``medfr_<set>_gen``): greedy generation + strict parser.
``constrained`` (``medfr_<set>_constrained``): greedy generation masked to the
letter tokens; needs ``--model medfr-hf`` or ``--model medfr-vllm``.

:func:`check_run` runs inside ``simple_evaluate`` (hooked by
:mod:`medfr_eval.autoload`) before the model is built, so a wrong mode, a
wrong permutation count, an unknown ``medfr_constrained_rule`` or constrained
tasks on plain ``hf`` fail in one line before minutes of model loading.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from medfr_eval.core.errors import DataError

MODES = ("restricted", "free", "constrained")
SUFFIX = {"restricted": "", "free": "_gen", "constrained": "_constrained"}
CONSTRAINED_MODELS = ("medfr-hf", "medfr-vllm")
#: Class attribute set (true) by every model class that decodes constrained MCQ tasks.
MEDFR_CONSTRAINED_ATTR = "medfr_decodes_constrained"


def task_name(set_name: str, mode: str = "restricted", shift: int = 0) -> str:
    """``medfr_<set>[_gen|_constrained][_perm<s>]``."""
    if mode not in MODES:
        raise DataError(f"unknown MCQ mode {mode!r}; modes: {', '.join(MODES)}", field="mode")
    return f"medfr_{set_name}{SUFFIX[mode]}" + (f"_perm{shift}" if shift else "")


def wants_constrained(tasks: Iterable[Any]) -> list[str]:
    """Names of requested medfr tasks or groups in constrained mode."""
    names = [t for t in tasks or () if isinstance(t, str)]
    return [t for t in names if t.startswith("medfr_") and "_constrained" in t]


def requested_sets(tasks: Iterable[Any]):
    """The medfr sets behind requested task or group names, in any mode (others are skipped)."""
    import re

    from medfr_eval.core.sets import BY_TASK, GROUPS

    found = {}
    for name in tasks or ():
        if not isinstance(name, str):
            continue
        base = re.sub(r"(_gen|_constrained)?(_perm\d+)?$", "", name)
        for task in GROUPS.get(base, (base,)):
            if task in BY_TASK:
                found[task] = BY_TASK[task]
    return list(found.values())


def _metadata(metadata: Any) -> Mapping:
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except json.JSONDecodeError:
            return {}
    return metadata if isinstance(metadata, Mapping) else {}


def check_run(model: Any, tasks: Any, metadata: Any = None, task_manager: Any = None) -> None:
    """Refuse, before the model loads, what cannot run: one clear message each."""
    from medfr_eval.mcq.permute import check_permutations
    from medfr_eval.mcq.rules import RULE_KEY, check_rule

    if isinstance(tasks, str):
        tasks = tasks.split(",")
    meta = dict(_metadata(getattr(task_manager, "metadata", None) or {}))
    meta.update(_metadata(metadata))
    if "medfr_permutations" in meta:
        k = check_permutations(meta["medfr_permutations"])
        for es in requested_sets(tasks):
            if es.kind == "mcq":
                try:
                    check_permutations(k, es.n_options)
                except DataError as exc:
                    raise DataError(
                        f"{es.task}: {exc.message}", field="medfr_permutations"
                    ) from None
    if RULE_KEY in meta:
        check_rule(meta[RULE_KEY])
    if "medfr_mode" in meta:
        raise DataError(
            f"there is no medfr_mode setting; choose the mode by task name "
            f"(medfr_<set>, medfr_<set>_gen, medfr_<set>_constrained), got {meta['medfr_mode']!r}",
            field="medfr_mode",
        )
    if model == "medfr-vllm":
        from medfr_eval.mcq.vllm_support import check_vllm

        check_vllm()
    constrained = wants_constrained(tasks)
    if not constrained:
        return
    name = model if isinstance(model, str) else None
    if name is None:
        # a marker, not isinstance: the generation module sits above this one and
        # imports it, so the check reads what the model class declares
        if getattr(model, MEDFR_CONSTRAINED_ATTR, False):
            return
        name = type(model).__name__
    if name not in CONSTRAINED_MODELS:
        raise DataError(
            f"{', '.join(constrained)}: constrained decoding needs --model medfr-hf "
            f"(or medfr-vllm), not --model {name}",
            field="model",
        )
