"""The one reader of lm-eval output folders, shared by ``medfr-signif``, the board and the demo.

``lm_eval ... --output_path OUT --log_samples`` writes, per model,
``OUT/<model_name_sanitized>/results_<date>.json`` and one
``samples_<task>_<date>.jsonl`` per task (lm_eval/loggers/evaluation_tracker.py).
Each sample line holds ``doc_id``, the ``doc``, the ``arguments`` sent to the
model, the ``filter`` it was scored under, the per-item metric values under their
own keys and three sha256 hashes (``doc_hash``, ``prompt_hash``, ``target_hash``;
lm_eval/evaluator.py).

Why our own reader: lm-eval has none for its own logs (they are written for the
Hub viewer), and importing lm-eval would pull torch into the board. One reader
means significance and the board accept and refuse the same folders, and an
lm-eval format change is fixed once. Everything here is plain JSON and numpy;
policy (what a submission must show, which pairs to compare) stays with the
callers. Errors are :class:`~medfr_eval.core.errors.DataError` naming file, line and
field.

Two modules: :mod:`.samples` parses sample logs (the only parser of
``samples_*.jsonl``), :mod:`.results` reads results files and model folders.
Entry points: :func:`read_run` (one model folder, with or without its sample
logs), :func:`find_model_folders` (the model folders under a path a user gave),
:func:`headline_scores` (per-set headline scores and family means of one results
folder, for score tables), :func:`read_sample_log` (one log), :func:`read_records` (one
log's raw records, for the judge's verdicts), :func:`display_name` (the one naming rule),
:func:`score_settings` / :func:`settings_mismatch` (what changes scores, and
whether two runs differ in it), :func:`french_task` (English twins).
"""

from __future__ import annotations

from .naming import RUN_CARD, display_name, find_run_card, model_args_paths
from .results import (
    RESULTS_RE,
    SAMPLES_RE,
    HeadlineScores,
    RunOutput,
    TaskOutput,
    family_means,
    find_model_folders,
    headline_scores,
    model_name_from_results,
    read_json_object,
    read_run,
)
from .samples import CLUSTER_KEYS, SampleLog, logged_prompt, read_records, read_sample_log
from .settings import score_settings, settings_mismatch
from .twins import english_task, french_task, spec_for, translated_tasks

__all__ = [
    "CLUSTER_KEYS", "RESULTS_RE", "RUN_CARD", "SAMPLES_RE", "HeadlineScores", "RunOutput",
    "SampleLog", "TaskOutput", "display_name", "english_task", "family_means",
    "find_model_folders", "find_run_card", "french_task", "headline_scores", "logged_prompt",
    "model_args_paths", "model_name_from_results", "read_json_object", "read_records", "read_run",
    "read_sample_log", "score_settings", "settings_mismatch", "spec_for", "translated_tasks",
]  # fmt: skip
