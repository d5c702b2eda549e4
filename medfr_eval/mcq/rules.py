"""The constrained rule of a run: ``--metadata '{"medfr_constrained_rule": "authors"}'``.

``medfr`` (default) or ``authors`` (the released code of the 2026 study; the
token sets are in :mod:`medfr_eval.mcq.tokens`). The rule reaches the model
class as ``medfr_rule`` in the constrained task's ``generation_kwargs``, so it
is in every request and in the results' task config (where the leaderboard
and ``medfr signif`` see a run decoded under another rule as scored otherwise).

lm-eval hands ``--metadata`` to the dataset loader only, and has no hook by
which a loader may change its task's generation settings; so
:func:`apply_constrained_rule`, called by the loader while lm-eval builds the
task (before any request exists), writes the rule into the task's
``generation_kwargs`` — and, for the authors' rule, ``until: []``, since their
multi-answer decoding does not stop at a newline.
"""

from __future__ import annotations

from typing import Any

from medfr_eval.core.errors import DataError

RULE_KEY = "medfr_constrained_rule"
RULES = ("medfr", "authors")


def check_rule(value: Any) -> str:
    """The rule name, checked: one of :data:`RULES`."""
    if value not in RULES:
        raise DataError(
            f"unknown constrained rule {value!r}; rules: {', '.join(RULES)}", field=RULE_KEY
        )
    return value


def apply_constrained_rule(rule: Any) -> None:
    """Write ``rule`` into the generation settings of the constrained task lm-eval is building.

    Other modes ignore it. Refuses the authors' rule when no task is being
    built (lm-eval changed how it calls the loader): a run would otherwise
    silently decode under the other rule.
    """
    if rule is None:
        return
    rule = check_rule(rule)
    from medfr_eval.data.availability import building_task

    task = building_task()
    if task is None:
        if rule != "medfr":
            raise DataError(
                "the constrained rule could not reach the task being built by lm-eval",
                field=RULE_KEY,
            )
        return
    gen = task.config.generation_kwargs
    if not isinstance(gen, dict) or gen.get("medfr_decoding") != "constrained":
        return
    gen["medfr_rule"] = rule
    if rule == "authors":
        gen["until"] = []
