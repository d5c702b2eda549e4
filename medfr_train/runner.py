"""Run a recipe: check it all first, then each stage in order, then the run cards.

The runner is thin on purpose: the recipe (TRL dataclasses) says everything,
TRL's ``SFTTrainer`` trains, accelerate places the processes. What is ours is
the order of stages, skipping a stage already done with the same settings,
resuming from the last checkpoint when asked, and the run card.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from medfr_eval.errors import RecipeError
from medfr_train.recipe import Recipe, load_recipe
from medfr_train.recipe.reuse import reuse_record
from medfr_train.runcard import build_card, read_card, stage_record, write_card


@dataclass
class RunResult:
    recipe: Recipe
    output_dirs: list[Path] = field(default_factory=list)
    run_cards: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)  # stages taken from another recipe

    @property
    def model_dir(self) -> Path:
        """Where the final model of the recipe is."""
        return self.output_dirs[-1]


def _is_main() -> bool:
    from accelerate import PartialState

    return PartialState().is_main_process


def _wait_all() -> None:
    from accelerate import PartialState

    PartialState().wait_for_everyone()


def run_recipe(
    path: str | Path,
    overrides: list[str] | None = None,
    resume: bool = False,
    force: bool = False,
    only_stage: str | None = None,
) -> RunResult:
    """Train every stage of the recipe at ``path``; return the output folders and run cards.

    ``resume``: continue each unfinished stage from its last checkpoint in its
    ``output_dir``. ``force``: retrain stages whose run card says they are done.
    ``only_stage``: train that stage alone (one job per stage): the stages before
    it must be finished, those after it are left for their own job.
    Raises ``RecipeError`` / ``SFTDataError`` on bad input before any training.
    """
    from transformers.trainer_utils import get_last_checkpoint

    recipe = load_recipe(path, overrides)
    result = RunResult(recipe=recipe)
    names = [s.name for s in recipe.stages]
    if only_stage is not None and only_stage not in names:
        raise RecipeError(
            f"the recipe has no {only_stage} stage (stages: {', '.join(names)})",
            file=recipe.path,
            field="--only-stage",
        )
    records: list[dict] = []
    for stage in recipe.stages:
        out = stage.output_dir
        if stage.reused_from is not None:
            # Another recipe's finished CPT (from_recipe): reused, never retrained here.
            records.append(reuse_record(stage))
            result.reused.append(stage.name)
            result.output_dirs.append(out)
            result.run_cards.append(out / "run_card.json")
            continue
        card = read_card(out)
        before = only_stage is not None and names.index(stage.name) < names.index(only_stage)
        after = only_stage is not None and names.index(stage.name) > names.index(only_stage)
        if after:
            break
        if before and not (card and card.get("stage_hash") == stage.hash):
            raise RecipeError(
                f"stage {stage.name} is not finished in {out} (no run card with these settings); "
                f"its job must run first",
                file=recipe.path,
                field="--only-stage",
            )
        if card and card.get("stage_hash") == stage.hash and (not force or before):
            # Already trained with these exact settings: reuse, so that a
            # chained run killed in its SFT stage does not redo its CPT.
            rec = next((r for r in card["stages"] if r.get("stage_hash") == stage.hash), None)
            if rec is not None:
                records.append(rec)
                result.skipped.append(stage.name)
                result.output_dirs.append(out)
                result.run_cards.append(out / "run_card.json")
                continue
        resume_from = None
        if resume and out.is_dir():
            resume_from = get_last_checkpoint(str(out))
        t0 = time.perf_counter()
        if stage.name == "cpt":
            from medfr_train.cpt import train_cpt

            info = train_cpt(stage, recipe.path, resume_from)
        else:
            from medfr_train.sft import train_sft

            info = train_sft(stage, recipe.path, resume_from)
        info["resumed_from"] = resume_from
        wall = time.perf_counter() - t0
        rec = stage_record(stage, info, wall, recipe.run_card)
        records.append(rec)
        strategy = recipe.strategy if stage is recipe.stages[-1] else stage.name.upper()
        if _is_main():
            card = build_card(
                recipe, list(records) if strategy == recipe.strategy else [rec], strategy
            )
            result.run_cards.append(write_card(card, out))
        else:
            result.run_cards.append(out / "run_card.json")
        result.output_dirs.append(out)
        _wait_all()
    return result
