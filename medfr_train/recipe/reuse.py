"""A chained recipe that reuses another recipe's finished CPT instead of training it again.

Why: in the study, MedMistral-CPT-SFT-7B is one model, reported against two
baselines (comparison B: from Mistral-7B; C: from MedMistral-CPT-7B), and Table
8 counts its CPT once. A CPT+SFT recipe therefore names the CPT recipe whose
output it starts from::

    stages:
      cpt: {from_recipe: ../../medmistral-cpt-7b/cpt/config_full.yaml}
      sft: {model_name_or_path: ${cpt.output_dir}, ...}

The CPT stage is then the upstream recipe's own stage (same settings, same
``output_dir``): it is never trained here. Whether it is finished is read from
its ``run_card.json`` (a CPT card with a ``cpt`` stage record); the chained
model's run card records which CPT it reused and that stage's hash.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from medfr_eval.cli import command_path
from medfr_train.errors import RecipeError
from medfr_train.recipe.stage import KeyErr, Stage, StageInput

KEY = "from_recipe"


def finished_cpt(output_dir: Path) -> dict[str, Any] | None:
    """The ``cpt`` stage record of a finished CPT run card in ``output_dir``, else None."""
    from medfr_train.runcard import read_card

    card = read_card(output_dir)
    if not card or card.get("strategy") != "CPT":
        return None
    records = [r for r in card.get("stages") or [] if isinstance(r, dict)]
    rec = next((r for r in records if r.get("stage") == "cpt" and r.get("stage_hash")), None)
    return rec


def reused_stage(
    inp: StageInput,
    base: Path,
    chained: bool,
    check_data: bool,
    err: KeyErr,
    load_recipe: Callable[..., Any],
) -> Stage:
    """The upstream CPT stage named by ``from_recipe``; with ``check_data``, it must be finished.

    ``load_recipe`` reads the upstream recipe: the recipe loader passes itself, so
    this module reads a recipe without importing the loader that imports it.

    ``check_data`` is what ``medfr-train recipe`` and ``check`` (without
    ``--skip-data``) use: the upstream output is this recipe's input, as a data
    file is. Nothing is written either way.
    """
    value = str(inp.merged[KEY])
    if not chained:
        raise err(KEY, "only the cpt stage of a CPT+SFT recipe can reuse another recipe's CPT")
    extra = sorted(k for k in inp.merged if k != KEY and inp.own(k))
    if extra:
        raise err(extra[0], f"a reused stage takes its settings from {value}; remove this key")
    path = (base / value).resolve()
    if not path.is_file():
        raise err(KEY, f"{value}: no such recipe (paths are relative to {base})")
    upstream = load_recipe(path, check_data=False)
    if upstream.strategy != "CPT":
        raise err(KEY, f"{value}: is a {upstream.strategy} recipe, not a CPT recipe")
    stage = upstream.stages[0]
    record: dict[str, Any] | None = None
    if check_data:
        record = finished_cpt(stage.output_dir)
        if record is None:
            raise err(
                KEY,
                f"{stage.output_dir}: no finished CPT there (no CPT run_card.json); "
                f"train it first: {command_path('train', 'recipe')} {path}",
            )
    stage.reused_from = {
        "recipe": str(path),
        "model_name": upstream.model_name,
        "output_dir": str(stage.output_dir),
        "stage_hash": record.get("stage_hash") if record else None,
    }
    return stage


def reuse_record(stage: Stage) -> dict[str, Any]:
    """The reused stage's run-card record, read from the upstream run card (at run time)."""
    assert stage.reused_from is not None
    record = finished_cpt(stage.output_dir)
    if record is None:
        raise RecipeError(
            f"{stage.output_dir}: no finished CPT there (no CPT run_card.json)",
            file=stage.reused_from["recipe"],
            field=KEY,
        )
    reused = {**stage.reused_from, "stage_hash": record["stage_hash"]}
    return {**record, "reused_from": reused}
