"""English twins of the translated sets: ``medfr_en_<set>`` beside ``medfr_<set>``.

:mod:`medfr_eval.core.sets` lists the twins (``twin_of``); the name rule below is the
fallback for logs of twins a set table does not list.

The 10 translated sets exist in English too (the same records, the originals the
study translated), logged by lm-eval as ``medfr_en_<set>`` with the same doc ids
and item identifiers as the French task. A twin is scored like its French task
(same metric, filter, results key), so its spec is the French one. Used by
``medfr-signif --translation-gap``, which pairs both logs of one run by doc id.
"""

from __future__ import annotations

from medfr_eval.core.sets import BY_TASK, EvalSet

EN_PREFIX = "medfr_en_"
TRANSLATED_FAMILY = "mcq_translated"


def french_task(task: str) -> str | None:
    """The French task a ``medfr_en_<set>`` twin stands for, or None if ``task`` is no twin."""
    twin_of = getattr(BY_TASK.get(task), "twin_of", None)  # medfr_eval.core.sets names twins
    if twin_of:
        return f"medfr_{twin_of}"
    if not task.startswith(EN_PREFIX):
        return None
    fr = "medfr_" + task[len(EN_PREFIX) :]
    spec = BY_TASK.get(fr)
    return fr if spec is not None and spec.family == TRANSLATED_FAMILY else None


def english_task(task: str) -> str:
    """The English twin's task name of a translated French task."""
    return EN_PREFIX + task[len("medfr_") :]


def translated_tasks() -> list[str]:
    """The French tasks that have an English twin, in the sets' order."""
    return [t for t, s in BY_TASK.items() if s.family == TRANSLATED_FAMILY]


def spec_for(task: str) -> EvalSet:
    """The set spec of a medfr task or of an English twin (its French task's spec)."""
    if task in BY_TASK:
        return BY_TASK[task]
    fr = french_task(task)
    if fr is None:
        raise KeyError(task)
    return BY_TASK[fr]
