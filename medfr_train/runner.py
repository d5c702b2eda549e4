"""Run a recipe: check it all first, then each stage in order, then the run cards.

The runner is thin on purpose: the recipe (TRL dataclasses) says everything,
TRL's ``SFTTrainer`` trains, accelerate places the processes. What is ours is
the order of stages, skipping a stage already done with the same settings,
resuming from the last checkpoint when asked, and the run card.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from medfr_eval.cli import command_path
from medfr_train.errors import RecipeError
from medfr_train.outputs import check_output_dir, remote_code_warning, resume_point
from medfr_train.recipe import Recipe, load_recipe
from medfr_train.recipe.reuse import reuse_record
from medfr_train.recipe.source import RecipeSource
from medfr_train.runcard import RUN_CARD, build_card, read_card, stage_record, write_card


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


def _say(line: str) -> None:
    """A line for the user on stderr (training logs go to stdout)."""
    print(f"{command_path('train')}: {line}", file=sys.stderr, flush=True)


def _done(stage, force: bool) -> bool:
    """Has this stage already been trained with these exact settings (and no --force)?"""
    card = read_card(stage.output_dir)
    return bool(
        not force
        and card
        and card.get("stage_hash") == stage.hash
        and any(r.get("stage_hash") == stage.hash for r in card.get("stages", []))
    )


def check_outputs(recipe: Recipe, overrides: list[str] | None, force: bool, skip=()) -> None:
    """Refuse, before any training, an output folder holding someone else's files.

    Every stage is checked first, so that a chained run does not train its CPT
    and then stop at its SFT folder. The error names the recipe key (file and
    line) or the command-line flag that set ``output_dir``."""
    src = RecipeSource.read(recipe.path)
    flags = set(overrides or [])
    seen: dict[Path, str] = {}
    for stage in recipe.stages:
        if any(
            f.split("=")[0] in (f"--stage.{stage.name}.output_dir", "--output_dir") for f in flags
        ):
            keypath: tuple[str, ...] = ("--output_dir",)
        elif ("stages", stage.name, "output_dir") in src.lines:
            keypath = ("stages", stage.name, "output_dir")
        else:
            keypath = ("output_dir",)
        out = stage.output_dir.resolve()
        if out in seen:  # SFT saving over the CPT model it starts from would delete its weights
            raise src.error(keypath, f"{stage.output_dir} is also stage {seen[out]}'s output_dir")
        if Path(str(stage.model.model_name_or_path)).expanduser().resolve() == out:
            raise src.error(keypath, f"{stage.output_dir} is also the model this stage starts from")
        seen[out] = stage.name
        if stage.name in skip:
            continue
        check_output_dir(
            stage.output_dir, lambda message, kp=keypath: src.error(kp, message), force
        )


def _finished_record(stage, card: dict | None, force: bool, before: bool) -> dict | None:
    """The stage record of a run card that already holds this stage with these exact
    settings, when it may be reused (not ``force``d, or a stage before ``--only-stage``).

    Reusing it means a chained run killed in its SFT stage does not redo its CPT."""
    if not (card and card.get("stage_hash") == stage.hash and (not force or before)):
        return None
    return next((r for r in card["stages"] if r.get("stage_hash") == stage.hash), None)


def _train_stage(stage, recipe, resume: bool, say) -> dict:
    """Train one stage (CPT or SFT) and return its run-card record."""
    resume_from = resume_point(stage.output_dir, resume, say)
    if getattr(stage.args, "trust_remote_code", False):
        say(remote_code_warning(stage.name, str(stage.model.model_name_or_path)))
    t0 = time.perf_counter()
    if stage.name == "cpt":
        from medfr_train.cpt import train_cpt

        info = train_cpt(stage, recipe.path, resume_from)
    else:
        from medfr_train.sft import train_sft

        info = train_sft(stage, recipe.path, resume_from)
    info["resumed_from"] = resume_from
    return stage_record(stage, info, time.perf_counter() - t0, recipe.run_card)


def _check_only_stage(recipe, only_stage: str | None) -> list[str]:
    """The recipe's stage names; an ``--only-stage`` it lacks is a ``RecipeError``."""
    names = [s.name for s in recipe.stages]
    if only_stage is not None and only_stage not in names:
        raise RecipeError(
            f"the recipe has no {only_stage} stage (stages: {', '.join(names)})",
            file=recipe.path,
            field="--only-stage",
        )
    return names


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
    recipe = load_recipe(path, overrides)
    result = RunResult(recipe=recipe)
    names = _check_only_stage(recipe, only_stage)
    records: list[dict] = []
    # stages this job does not write: reused, done, or another job's (--only-stage)
    idle = {
        s.name
        for s in recipe.stages
        if s.reused_from is not None
        or (only_stage is not None and s.name != only_stage)
        or _done(s, force)
    }
    check_outputs(recipe, overrides, force, skip=idle)
    say = _say if _is_main() else (lambda line: None)
    for stage in recipe.stages:
        out = stage.output_dir
        if stage.reused_from is not None:
            # Another recipe's finished CPT (from_recipe): reused, never retrained here.
            records.append(reuse_record(stage))
            result.reused.append(stage.name)
            result.output_dirs.append(out)
            result.run_cards.append(out / RUN_CARD)
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
        rec = _finished_record(stage, card, force, before)
        if rec is not None:
            records.append(rec)
            result.skipped.append(stage.name)
            result.output_dirs.append(out)
            result.run_cards.append(out / RUN_CARD)
            continue
        rec = _train_stage(stage, recipe, resume, say)
        records.append(rec)
        strategy = recipe.strategy if stage is recipe.stages[-1] else stage.name.upper()
        if _is_main():
            card = build_card(
                recipe, list(records) if strategy == recipe.strategy else [rec], strategy
            )
            result.run_cards.append(write_card(card, out))
        else:
            result.run_cards.append(out / RUN_CARD)
        result.output_dirs.append(out)
        _wait_all()
    return result
