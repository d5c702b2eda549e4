"""Functions the MediQAl leaves reach with ``!function utils.<name>``.

lm-eval looks a ``!function`` up beside the YAML that names it, so the leaves of
this folder need their own file; the logic lives in ``medfr_eval`` (tested there).
The leaves override ``process_results`` and ``metric_list`` of their templates to
add the scores per ``question_type`` (:mod:`medfr_eval.data.question_types`), so the
aggregations those lists name are re-exported here too.
"""

from __future__ import annotations

from medfr_eval.data.question_types import mcq_results, mean_present, multi_results, openqa_results
from medfr_eval.judge.config import EnvJudgeIdentity
from medfr_eval.judge.filter import total
from medfr_eval.mcq.permute import consistency, position_bias
from medfr_eval.metrics.calibration import ece

#: ``metadata.judge`` of the open-QA task (as in ``tasks/utils.py``)
JUDGE = EnvJudgeIdentity()

__all__ = [
    "JUDGE",
    "consistency",
    "ece",
    "mcq_results",
    "mean_present",
    "multi_results",
    "openqa_results",
    "position_bias",
    "total",
]
