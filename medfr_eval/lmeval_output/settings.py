"""What in a task's logged config changes its scores, and whether two runs differ in it.

Two runs scored under different settings cannot be compared item by item: a longer
``max_gen_toks`` lets a model finish its answer, five shots help it, another
BERTScore model or LLM judge scores the same answer differently. lm-eval logs the
task config it ran in the results file (``configs.<task>``): ``generation_kwargs``,
``num_fewshot``, ``fewshot_config`` and ``metadata`` (which holds ``version``, the
``--metadata`` given on the command line, and lm-eval's own copy of the model
args). Scorer identities are recorded by medfr's metrics as ``metadata`` entries
whose key starts with ``medfr_scorer``, ``medfr_bertscore`` (the BERTScore model,
layer and options, :func:`medfr_eval.metrics.bertscore.scorer_from_config`), ``medfr_judge``,
``bertscore`` or ``judge`` (the LLM judge's model, endpoint and template hash); any is
taken generically, so a new scorer option counts without a change here. Other
metadata (model args, ``pretrained``) says which model ran, not how it was scored.

The prompt is not here: it is checked per item from the logged ``prompt_hash``
(``medfr-signif``) or against the board's reference digest. Used by
``medfr-signif`` (refuses mismatched pairs unless ``--allow-setting-mismatch``)
and the board's submission checks, so both refuse the same runs.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

#: lm-eval logs a config's ``!function`` entries as Python reprs, memory address
#: included ("<function f at 0x7f...>"); the address differs in every process.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")

#: Prefixes of ``metadata`` keys that name or configure a scorer.
SCORER_KEY_PREFIXES: tuple[str, ...] = (
    "medfr_scorer", "medfr_bertscore", "medfr_judge", "bertscore", "judge",
)  # fmt: skip
#: Config entries (besides scorer metadata) that change what a model is asked or how it answers.
CONFIG_KEYS: tuple[str, ...] = ("generation_kwargs", "num_fewshot", "fewshot_config")


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> None:
    """Nested dicts as dotted keys, so a difference names the exact field."""
    if isinstance(value, dict) and value:
        for k in sorted(value, key=str):
            _flat(f"{prefix}.{k}", value[k], out)
    elif isinstance(value, str):
        out[prefix] = _ADDRESS.sub(">", value)
    else:
        out[prefix] = value


def score_settings(task_output: Any) -> dict[str, Any]:
    """The settings of one task's run that change its scores, as dotted keys -> values.

    ``task_output`` is a :class:`~medfr_eval.lmeval_output.TaskOutput` (or anything
    with a ``config`` dict: lm-eval's logged task config)."""
    config = getattr(task_output, "config", None)
    if not isinstance(config, dict):
        config = {}
    out: dict[str, Any] = {}
    version = getattr(task_output, "version", None)
    if version is not None:
        out["version"] = version
    for key in CONFIG_KEYS:
        if config.get(key) is not None:
            _flat(key, config[key], out)
    meta = config.get("metadata")
    if isinstance(meta, dict):
        for key in sorted(meta, key=str):
            if str(key).startswith(SCORER_KEY_PREFIXES):
                _flat(f"metadata.{key}", meta[key], out)
    return out


def _show(value: Any) -> str:
    if value is None:
        return "(not set)"
    return _ADDRESS.sub(">", json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))


#: Endings of scorer keys whose value names a model: a hub id or a local folder.
_MODEL_FIELDS = ("model", "model_type", "model_name_or_path")


def _compared(key: str, value: Any) -> Any:
    """The value a field is compared by: a scorer's model folder by its resolved path.

    Why: one BERTScore model given once as ``medfr-demo/models/bert`` and once as
    ``/home/me/medfr-demo/models/bert`` scores identically; the strings differ, the
    folder does not. A value is taken as a path when it is absolute or names an
    existing file or folder from here (a relative path recorded by a run is read
    from the current folder); a hub id stays as written.
    """
    scorer = key.startswith("metadata.") and key.split(".", 2)[1].startswith(SCORER_KEY_PREFIXES)
    if not (scorer and key.endswith(_MODEL_FIELDS) and isinstance(value, str)):
        return value
    if os.path.isabs(value) or os.path.exists(value):
        return os.path.realpath(value)
    return value


def settings_mismatch(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Every field where two :func:`score_settings` differ, as ``field: A vs B``."""
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if _show(_compared(key, va)) != _show(_compared(key, vb)):
            out.append(f"{key}: {_show(va)} vs {_show(vb)}")
    return out
