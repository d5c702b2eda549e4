"""The one rule that names a model, shared by ``medfr-signif`` and the board.

lm-eval records ``model_name`` as the ``pretrained`` argument: a hub id
(``BioMistral/BioMistral-7B``, kept whole) or a local path. A path says where
the model sits on someone's disk, not what it is, and a chained recipe saves its
last stage in a stage folder (``.../tiny-cpt-sft/sft``), whose last part
(``sft``) names a stage, not the model. So: the ``model_name`` of the run card
``medfr-train`` wrote beside the model wins; else a local path is named by its
last folder, or by the folder above a stage folder (``cpt``, ``sft``); a hub id
stays whole. Bidi and control characters are stripped from every name (a
right-to-left override would make a name display as another).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from medfr_eval.core.textsafe import clean_name

RUN_CARD = "run_card.json"
#: Folders a multi-stage recipe saves its stages in (medfr_train's stage names).
STAGE_FOLDERS: tuple[str, ...] = ("cpt", "sft")
_LOCAL = re.compile(r"^(/|\.{1,2}[/\\]|~|[A-Za-z]:[/\\])")


def model_args_paths(model_args: Any) -> list[str]:
    """The local paths a run's ``model_args`` names (peft, pretrained), in that order."""
    keys = ("peft", "pretrained")
    if isinstance(model_args, dict):
        return [str(model_args[k]) for k in keys if model_args.get(k)]
    found = []
    if isinstance(model_args, str):
        for part in model_args.split(","):
            key, _, value = part.partition("=")
            if key.strip() in keys and value.strip():
                found.append(value.strip())
    return found


def find_run_card(folder: Path, model_args: Any) -> Path | None:
    """``run_card.json`` beside the results, or in the evaluated model's folder."""
    candidates = [Path(folder) / RUN_CARD]
    for p in model_args_paths(model_args):
        candidates += [Path(p) / RUN_CARD, Path(folder) / p / RUN_CARD]
    for c in candidates:
        if c.is_file():
            return c
    return None


def is_local_path(name: str) -> bool:
    """A model name that is a path on disk rather than a hub id (``org/model``)."""
    return bool(_LOCAL.match(name)) or name.count("/") > 1 or "\\" in name


def display_name(model_name: str, run_card: dict | None = None) -> str:
    """The name a model is shown and compared under (rule in the module docstring)."""
    card_name = (run_card or {}).get("model_name")
    if isinstance(card_name, str) and clean_name(card_name):
        return clean_name(card_name)
    name = clean_name(model_name)
    if not is_local_path(name):
        return name
    parts = [p for p in re.split(r"[/\\]+", name) if p and p not in (".", "..", "~")]
    if not parts:
        return "local model"
    if len(parts) > 1 and parts[-1] in STAGE_FOLDERS:
        return parts[-2]
    return parts[-1]
