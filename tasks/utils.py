"""Functions our task YAML reaches with ``!function utils.<name>``.

Thin on purpose: the logic lives in the ``medfr_eval`` package (tested there);
this file only names it for lm-eval.
"""

from __future__ import annotations

from medfr_eval.bertscore import BERTScoreFilter, openqa_results
from medfr_eval.mcq.calibration import ece
from medfr_eval.mcq.permute import consistency, load_set, position_bias
from medfr_eval.mcq.results import MCQParseFilter, generated_results, single_answer_results
from medfr_eval.scoring import multi_answer_choices, multi_answer_results

__all__ = [
    "BERTScoreFilter",
    "MCQParseFilter",
    "consistency",
    "ece",
    "generated_results",
    "load_set",
    "multi_answer_choices",
    "multi_answer_results",
    "openqa_results",
    "position_bias",
    "single_answer_results",
]
