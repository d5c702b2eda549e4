"""The judge's settings, checked before lm-eval loads the model under test.

The judge runs after generation, in a filter: a bad ``MEDFR_JUDGE_*`` value,
a verdict cache that is not one, or a broken ``judge.j2`` found there would
stop the run after all the generation was paid for, and inside lm-eval (a
traceback). ``medfr_eval.autoload`` calls :func:`check_judge` at the start of
``simple_evaluate``, beside the data and prompt checks, when an open-QA set is
asked for; its error is one ``error:`` line and exit 2 under ``lm_eval``.
"""

from __future__ import annotations

from typing import Any

from medfr_eval.judge.cache import VerdictCache
from medfr_eval.judge.config import JudgeConfig
from medfr_eval.judge.prompt import load_template

#: Set kinds scored by the judge.
JUDGED_KINDS = ("openqa", "openqa_case")


def check_judge(tasks: Any) -> JudgeConfig | None:
    """Validate the configured judge for ``tasks``; the config, or None when nothing is judged.

    Reads the environment (URL, key characters, numbers), renders the template
    once on a made-up item (the sandbox's limits apply), and opens the
    verdict cache (a folder, a non-sqlite file or another ``verdicts`` table
    is refused). Nothing is sent to the endpoint: it may not be up yet."""
    from medfr_eval.mcq.modes import requested_sets

    if isinstance(tasks, str):
        tasks = tasks.split(",")
    if not any(s.kind in JUDGED_KINDS for s in requested_sets(tasks or ())):
        return None
    config = JudgeConfig.from_env()
    if config is None:
        return None
    if config.url:
        config.parsed_endpoint()
    load_template(config.prompt_dir).render("Question ?", "Réponse.", "Référence.", "Cas.")
    if config.cache_path:
        VerdictCache(config.cache_path).close()
    return config
