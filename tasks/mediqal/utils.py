"""Functions the MediQAl YAML reaches with ``!function utils.<name>`` (lm-eval looks
for ``utils.py`` beside the YAML that names it); the logic is in ``medfr_eval``."""

from __future__ import annotations

from medfr_eval.scoring import multi_answer_results

__all__ = ["multi_answer_results"]
