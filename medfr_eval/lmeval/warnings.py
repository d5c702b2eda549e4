"""Silence one lm-eval warning that is noise for medfr's tasks, and only that one.

lm-eval 0.4.13 logs, for every task whose YAML sets ``custom_dataset``,
"<task>: Custom kwargs can be passed to `--metadata` ..." (two lines), before
calling the loader: ``ConfigurableTask.download`` does it unconditionally, so
no YAML key or ``--metadata`` value avoids it (the demo passes ``--metadata``
and still got 15 of them). Every medfr task loads its data through
``custom_dataset`` (``medfr_eval.data.load.load_set``: samples, a folder, the Hub,
the public copies), and our README documents the ``--metadata`` keys, so the
advice is noise on every run. A :class:`logging.Filter` on lm-eval's
``lm_eval.api.task`` logger drops exactly that message for tasks named
``medfr_*``; every other record, and the same advice for other tasks, passes.
"""

from __future__ import annotations

import logging

#: the logger ``lm_eval/api/task.py`` writes to (``logging.getLogger(__name__)``).
LOGGER = "lm_eval.api.task"
_ADVICE = "Custom kwargs can be passed to `--metadata`"


class CustomKwargsAdviceFilter(logging.Filter):
    """Drops lm-eval's ``custom_dataset`` advice for medfr tasks."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to judge: let it through
            return True
        return not (message.startswith("medfr_") and _ADVICE in message)


def install() -> None:
    """Add the filter to lm-eval's task logger once (idempotent)."""
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(f, CustomKwargsAdviceFilter) for f in logger.filters):
        logger.addFilter(CustomKwargsAdviceFilter())
