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
callers. Errors are :class:`~medfr_eval.errors.DataError` naming file, line and
field.

Two modules: :mod:`.samples` parses sample logs (the only parser of
``samples_*.jsonl``), :mod:`.results` reads results files and model folders.
Entry points: :func:`read_run` (one model folder, with or without its sample
logs), :func:`find_model_folders` (the model folders under a path a user gave),
:func:`headline_scores` (per-set headline scores and family means of one results
folder, for score tables), :func:`read_sample_log` (one log).
"""

from __future__ import annotations

from .results import (
    RESULTS_RE,
    SAMPLES_RE,
    HeadlineScores,
    RunOutput,
    TaskOutput,
    family_means,
    find_model_folders,
    headline_scores,
    model_args_paths,
    model_name_from_results,
    read_json_object,
    read_run,
)
from .samples import CLUSTER_KEYS, SampleLog, logged_prompt, read_sample_log

__all__ = [
    "CLUSTER_KEYS", "RESULTS_RE", "SAMPLES_RE", "HeadlineScores", "RunOutput", "SampleLog",
    "TaskOutput", "family_means", "find_model_folders", "headline_scores", "logged_prompt",
    "model_args_paths", "model_name_from_results", "read_json_object", "read_run",
    "read_sample_log",
]  # fmt: skip
