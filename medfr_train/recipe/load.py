"""Load a recipe: YAML + command-line overrides -> validated stages, nothing written.

Order of precedence for a stage key, lowest first: the default of its field
(TRL's or transformers'), the recipe's top level (shared by every stage), the
stage's own mapping (``stages: {cpt: ..., sft: ...}``), ``--key value`` on the
command line, then ``--stage.NAME.key value``. The study's settings are not
defaults: every shipped recipe states them, each with its source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medfr_train.errors import RecipeError
from medfr_train.recipe.keys import NESTED_KEYS, STAGES_OF, TOP_KEYS
from medfr_train.recipe.parse import (
    KeyValueError,
    is_stage_key,
    known_keys,
    parse_values,
    recipe_parser,
    run_card_parser,
)
from medfr_train.recipe.reuse import reused_stage
from medfr_train.recipe.source import COMMAND_LINE, RecipeSource, parse_overrides
from medfr_train.recipe.stage import Stage, StageInput, build_stage

UNKNOWN = "unknown key (not a TRL SFTConfig / ModelConfig field nor a medfr key)"


@dataclass
class Recipe:
    path: Path
    strategy: str
    model_name: str
    base_model: str
    stages: list[Stage]
    run_card: dict[str, Any]
    raw: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def output_dir(self) -> Path:
        return self.stages[-1].output_dir

    def resolved(self) -> dict[str, Any]:
        """The whole recipe after defaults, overrides and interpolation (for the run card)."""
        return {
            "path": str(self.path),
            "strategy": self.strategy,
            "model_name": self.model_name,
            "base_model": self.base_model,
            "run_card": self.run_card,
            "stages": {s.name: s.values for s in self.stages},
        }


@dataclass
class Overrides:
    """Command-line ``--key value`` overrides, sorted by what they apply to."""

    top: dict[str, Any] = field(default_factory=dict)  # recipe keys (strategy, ...)
    run_card: dict[str, Any] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)  # stage keys for every stage
    stage: dict[str, dict[str, Any]] = field(default_factory=dict)


def split_overrides(tokens: list[str] | None) -> Overrides:
    over = Overrides()
    for kp, value in parse_overrides(tokens):
        flag = "--" + ".".join(kp).replace("stages.", "stage.", 1)
        if kp[0] == "stages" and is_stage_key(kp[2]):
            over.stage.setdefault(kp[1], {})[kp[2]] = value
        elif kp[0] == "run_card" and len(kp) == 2:
            over.run_card[kp[1]] = value
        elif len(kp) == 1 and kp[0] in TOP_KEYS and kp[0] not in NESTED_KEYS:
            over.top[kp[0]] = value
        elif len(kp) == 1 and is_stage_key(kp[0]):
            over.shared[kp[0]] = value
        else:
            raise RecipeError("unknown key", file=COMMAND_LINE, field=flag)
    return over


def _parse_flat(src: RecipeSource, parser, values: dict, where: dict) -> tuple[Any, dict]:
    """Parse top-level or run-card values, naming the key's line (or flag) on error."""
    try:
        (obj,), converted = parse_values(parser, values)
    except KeyValueError as exc:
        raise src.error(where.get(exc.key, (exc.key or "recipe",)), exc.message) from None
    return obj, converted


def read_top(src: RecipeSource, over: Overrides) -> tuple[Any, dict[str, Any]]:
    """The recipe's own keys (strategy, names) and its run card, type-checked."""
    top = {k: src.raw[k] for k in TOP_KEYS if k in src.raw and k not in NESTED_KEYS}
    where = {k: (k,) for k in top} | {k: (f"--{k}",) for k in over.top}
    top.update(over.top)
    run_card = src.raw.get("run_card") or {}
    if not isinstance(run_card, dict):
        raise src.error(("run_card",), "must be a mapping")
    rc_where = {k: ("run_card", k) for k in run_card} | {
        k: (f"--run_card.{k}",) for k in over.run_card
    }
    run_card = {**run_card, **over.run_card}
    known = known_keys(run_card_parser())
    for key in run_card:
        if key not in known:
            raise src.error(rc_where[key], f"unknown key; expected one of {_rc_keys()}")
    if top.get("strategy") is None:
        raise src.error(("strategy",), f"missing: one of {sorted(STAGES_OF)}")
    args, _ = _parse_flat(src, recipe_parser(), top, where)
    _, rc = _parse_flat(src, run_card_parser(), run_card, rc_where)
    for key in RUN_CARD_FIGURES:
        value = rc.get(key)
        if value is not None and not (math.isfinite(value) and value >= 0):
            # a NaN or negative figure would give every run card a meaningless footprint
            raise src.error(rc_where[key], f"must be a finite number >= 0, got {value!r}")
    return args, rc


#: ``run_card:`` figures that enter the footprint: finite and >= 0.
RUN_CARD_FIGURES = (
    "carbon_intensity_kg_per_kwh",
    "price_per_gpu_hour",
    "gpu_tdp_watts",
    "gpu_count",
)


def _rc_keys() -> list[str]:
    from medfr_train.recipe.keys import RunCardArguments
    from medfr_train.recipe.parse import field_names

    return sorted(field_names(RunCardArguments))


def stage_inputs(src: RecipeSource, strategy: str, over: Overrides) -> list[StageInput]:
    """Each stage's merged keys, in precedence order, with the origin of every key."""
    kinds = STAGES_OF[strategy]
    shared = {}
    for key, value in src.raw.items():
        if key not in TOP_KEYS:
            if not is_stage_key(key):
                raise src.error((key,), UNKNOWN)
            shared[key] = value
    stages_raw = _stages_mapping(src, strategy, over)
    top_output = over.shared.get("output_dir", shared.get("output_dir"))
    inputs = []
    for name in kinds:
        stage_raw = stages_raw.get(name) or {}
        if not isinstance(stage_raw, dict):
            raise src.error(("stages", name), "must be a mapping of keys")
        layers = [
            (shared, lambda k: (k,)),
            (stage_raw, lambda k, n=name: ("stages", n, k)),
            (over.shared, lambda k: (f"--{k}",)),
            (over.stage.get(name, {}), lambda k, n=name: (f"--stage.{n}.{k}",)),
        ]
        merged: dict[str, Any] = {}
        origin: dict[str, tuple[str, ...]] = {}
        for layer, where in layers:
            for key, value in layer.items():
                merged[key] = value
                if where(key) is not None:
                    origin[key] = where(key)
        for key in stage_raw:
            if key in TOP_KEYS:
                raise src.error(("stages", name, key), "belongs at the top level of the recipe")
            if not is_stage_key(key):
                raise src.error(("stages", name, key), UNKNOWN)
        own_output = "output_dir" in stage_raw or "output_dir" in over.stage.get(name, {})
        if len(kinds) > 1 and not own_output and top_output is not None:
            # the command line wins over the recipe, as for every other key
            merged["output_dir"] = str(Path(str(top_output)) / name)
        inputs.append(StageInput(name, merged, origin, single=len(kinds) == 1))
    return inputs


def _stages_mapping(src: RecipeSource, strategy: str, over: Overrides) -> dict[str, Any]:
    kinds = STAGES_OF[strategy]
    stages_raw = src.raw.get("stages")
    if stages_raw is None:
        if len(kinds) > 1:
            raise src.error(
                ("stages",), f"strategy {strategy} needs a 'stages' mapping with {list(kinds)}"
            )
        stages_raw = {}
    if not isinstance(stages_raw, dict):
        raise src.error(("stages",), "must be a mapping of stage name (cpt, sft) to keys")
    for name in stages_raw:
        if name not in kinds:
            raise src.error(
                ("stages", name), f"unknown stage for strategy {strategy}; expected {list(kinds)}"
            )
    for name in over.stage:
        if name not in kinds:
            raise RecipeError(
                f"no such stage; expected {list(kinds)}",
                file=COMMAND_LINE,
                field=f"--stage.{name}",
            )
    missing = [k for k in kinds if len(kinds) > 1 and k not in stages_raw]
    if missing:
        raise src.error(("stages",), f"missing stage(s) {missing}")
    return stages_raw


def load_recipe(
    path: str | Path, overrides: list[str] | None = None, check_data: bool = True
) -> Recipe:
    """Read, validate and resolve a recipe; raise ``RecipeError`` on any bad input.

    Nothing is written and no model weights are loaded: this is what
    ``medfr-train check`` runs, and what every run does before any GPU work.
    ``check_data=False`` skips the data files (for study recipes whose data the
    user provides later).
    """
    src = RecipeSource.read(path)
    over = split_overrides(overrides)
    top, run_card = read_top(src, over)
    base = src.path.parent.resolve()
    stages: list[Stage] = []
    previous: dict[str, dict[str, Any]] = {}
    for inp in stage_inputs(src, top.strategy, over):

        def err(key: str, message: str, inp: StageInput = inp) -> RecipeError:
            return src.error(inp.origin.get(key, (key,)), message)

        if inp.merged.get("from_recipe") is not None:
            chained = len(STAGES_OF[top.strategy]) > 1 and inp.name == "cpt"
            stage = reused_stage(inp, base, chained, check_data, err, load_recipe)
        else:
            stage = build_stage(inp, previous, base, check_data, err)
            if check_data:
                _check_start_model(stage, previous, src.path, err)
        previous[inp.name] = stage.values
        stages.append(stage)
    recipe = Recipe(
        path=src.path.resolve(),
        strategy=top.strategy,
        model_name=top.model_name or stages[-1].output_dir.name,
        base_model=top.base_model or str(stages[0].model.model_name_or_path),
        stages=stages,
        run_card=run_card,
        raw=src.raw,
    )
    check_context(recipe, src)
    return recipe


def _check_start_model(stage: Stage, previous: dict, recipe_path: Path, err) -> None:
    """A local model path that is not there (and no earlier stage writes) is one line."""
    from medfr_train.recipe.models import missing_model_message

    model = str(stage.model.model_name_or_path)
    earlier = {Path(str(v.get("output_dir"))).resolve() for v in previous.values()}
    if Path(model).expanduser().resolve() in earlier:
        return  # trained by the stage before this one
    message = missing_model_message(model, recipe_path)
    if message is not None:
        raise err("model_name_or_path", message)


def check_context(recipe: Recipe, src: RecipeSource) -> None:
    """Refuse a block size / max length above the model's context, when the config is at hand.

    A later stage whose model is an earlier stage's output (not trained yet)
    inherits the earlier stage's model config. A hub model that is not cached
    cannot be checked offline: the recipe records a note instead.
    """
    from transformers import AutoConfig

    outputs = {str(s.output_dir.resolve()): s for s in recipe.stages}
    cfg_cache: dict[str, Any] = {}
    for stage in recipe.stages:
        src_model = str(stage.model.model_name_or_path)
        seen = set()
        while (
            str(Path(src_model).resolve()) in outputs
            and not Path(src_model).exists()
            and src_model not in seen
        ):
            seen.add(src_model)
            src_model = str(outputs[str(Path(src_model).resolve())].model.model_name_or_path)
        if src_model not in cfg_cache:
            try:
                cfg_cache[src_model] = AutoConfig.from_pretrained(
                    src_model, trust_remote_code=False
                )
            except Exception as e:  # offline hub id, gated model, ...
                cfg_cache[src_model] = None
                recipe.notes.append(
                    f"{stage.name}: context length not checked ({src_model}: {type(e).__name__})"
                )
        cfg = cfg_cache[src_model]
        ctx = getattr(cfg, "max_position_embeddings", None) if cfg is not None else None
        length = stage.block_size if stage.name == "cpt" else stage.args.max_length
        key = "block_size" if stage.name == "cpt" else "max_length"
        if ctx is not None and length is not None and length > ctx:
            keypath = ("stages", stage.name, key)
            if keypath not in src.lines:
                keypath = (key,)
            raise src.error(
                keypath, f"{length} is above the model's context ({ctx} tokens, {src_model})"
            )
