"""Significance of model differences from lm-eval sample logs, as the study tests them.

Cut along its seams: :mod:`.bootstrap` (the paired / cluster percentile
bootstrap in numpy), :mod:`.runs` (model folders, read by
:mod:`medfr_eval.lmeval_output`, named), :mod:`.pairs` (pairs files and the
shipped ``study`` preset), :mod:`.pairing` (two logs item by item),
:mod:`.compare` (the grid of tests), :mod:`.paired_tests` (McNemar,
permutation), :mod:`.corrections` (Bonferroni, Holm, BH), :mod:`.families`
(family-level tests), :mod:`.gap` (French vs English twins), :mod:`.shaky`
(warnings), :mod:`.labels` (the English words of the outputs), :mod:`.report` (JSON / CSV / Markdown / plot) and :mod:`.cli`
(``medfr signif``). No torch, no lm-eval import: the board reads this JSON.
"""

from __future__ import annotations

from medfr_eval.core.errors import SignifError
from medfr_eval.lmeval_output import CLUSTER_KEYS, SampleLog, read_sample_log

from .compare import (
    FAMILY_ORDER,
    SCHEMA_VERSION,
    Comparison,
    Report,
    compare,
    win_rates,
)
from .labels import DECISION_LABELS, FAMILY_LABELS, set_title
from .pairing import pair_logs
from .pairs import Pair, all_pairs, baseline_pairs, load_pairs, preset_names, presets_dir
from .report import OUTPUT_FILES, plot_wtl, to_csv, to_markdown, write_outputs
from .runs import Run, find_run, load_run, load_runs

__all__ = [
    "CLUSTER_KEYS", "DECISION_LABELS", "FAMILY_LABELS", "FAMILY_ORDER", "OUTPUT_FILES", "SCHEMA_VERSION",
    "Comparison", "Pair", "Report", "Run", "SampleLog", "SignifError",
    "all_pairs", "baseline_pairs", "compare", "find_run", "load_pairs", "load_run",
    "load_runs", "pair_logs", "plot_wtl", "preset_names", "presets_dir", "read_sample_log",
    "set_title", "to_csv", "to_markdown", "win_rates", "write_outputs",
]  # fmt: skip
