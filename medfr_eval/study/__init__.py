"""``medfr study``: a published study reproduced in one command and held against its own tables.

Cut along its seams: :mod:`.spec` (the study file's data) with :mod:`.schema` (its
checks, every error at its line) and :mod:`.yamlpos` (lines of YAML keys),
:mod:`.taskindex` (the tasks medfr ships, without lm-eval), :mod:`.paper` (the paper's
Tables 1-3 as a CSV), :mod:`.plan` (run folder layout, lm-eval command, what is done),
:mod:`.run` (one lm-eval process per model, resumable), :mod:`.launch` (the same as
SLURM jobs: one array task per model, then publishing), :mod:`.publish` (signif,
comparison, board), :mod:`.compare` and :mod:`.report` (the comparison with the paper)
and :mod:`.cli`. Nothing here imports torch or lm-eval: models run in lm-eval's own
process.
"""

from __future__ import annotations

from .compare import Comparison, compare_run
from .load import find_study_file, load_study
from .paper import PaperFigure, load_paper_table
from .plan import Layout, Status, lm_eval_argv, status
from .publish import publish
from .run import evaluate_model, run_models
from .spec import Study, StudyModel

__all__ = [
    "Comparison", "Layout", "PaperFigure", "Status", "Study", "StudyModel", "compare_run",
    "evaluate_model", "find_study_file", "lm_eval_argv", "load_paper_table", "load_study",
    "publish", "run_models", "status",
]  # fmt: skip
