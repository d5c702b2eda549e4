"""Functions our task YAML reaches with ``!function utils.<name>``.

Thin on purpose: the logic lives in the ``medfr_eval`` package (tested there);
this file only names it for lm-eval.
"""

from __future__ import annotations

from medfr_eval.judge.config import EnvJudgeIdentity
from medfr_eval.judge.filter import JudgeFilter, total
from medfr_eval.judge.filter import openqa_results as openqa_judged_results
from medfr_eval.lmeval.warnings import install as _quiet_custom_kwargs_advice
from medfr_eval.mcq.permute import consistency, load_set, position_bias
from medfr_eval.mcq.results import MCQParseFilter, generated_results, single_answer_results
from medfr_eval.metrics.bertscore import BERTScoreFilter, openqa_results
from medfr_eval.metrics.calibration import ece
from medfr_eval.metrics.scoring import multi_answer_choices, multi_answer_results

# lm-eval imports this file while loading our task configs, before it loads their data:
# the one place that quiets its custom_dataset advice however the tasks were found.
_quiet_custom_kwargs_advice()

#: ``metadata.judge`` of the open-QA tasks: the configured judge's identity
#: (model, endpoint, template SHA-256) in the results, or null without a judge.
JUDGE = EnvJudgeIdentity()

__all__ = [
    "JUDGE",
    "BERTScoreFilter",
    "JudgeFilter",
    "MCQParseFilter",
    "consistency",
    "ece",
    "generated_results",
    "load_set",
    "multi_answer_choices",
    "multi_answer_results",
    "openqa_judged_results",
    "openqa_results",
    "position_bias",
    "single_answer_results",
    "total",
]
