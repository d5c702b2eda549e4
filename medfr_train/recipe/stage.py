"""One training stage: merged keys -> TRL's ``SFTConfig`` and ``ModelConfig`` plus medfr's keys.

The checks here are those TRL cannot know: CPT packs its corpus itself into
``block_size`` blocks (so TRL's packing stays off), SFT keys are refused in a
CPT stage and the reverse, and ``${stage.field}`` names an earlier stage's
resolved value (the SFT stage of CPT+SFT starts from ``${cpt.output_dir}``).
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medfr_train.errors import RecipeError
from medfr_train.recipe.data import DataSpec, build_data_spec
from medfr_train.recipe.parse import KeyValueError, field_names, parse_values, stage_parser

_INTERP = re.compile(r"\$\{(\w+)\.(\w+)\}")
_SFT_ONLY = (
    "column_mapping",
    "merge_adapter",
    "eval_dataset_files",
    "default_chat_template",
    "chat_template",
)
_CPT_ONLY = ("block_size", "document_framing")

#: builds the error for a key of the stage (its origin says file/line or command line).
KeyErr = Callable[[str, str], RecipeError]


@dataclass
class Stage:
    """One training stage, as TRL dataclasses plus what TRL lacks."""

    name: str  # "cpt" or "sft"
    args: Any  # trl.SFTConfig
    model: Any  # trl.ModelConfig
    data: DataSpec
    values: dict[str, Any]  # resolved flat keys (JSON-able), for the run card
    block_size: int | None = None
    merge_adapter: bool = False
    default_chat_template: str | None = None
    chat_template: str | None = None  # a named template (medfr_train.chat_templates)
    document_framing: str = "bos+eos"  # CPT: <s>doc</s> per document, or doc</s>
    #: a reused stage (``from_recipe``): the upstream recipe, output and run-card stage hash.
    reused_from: dict[str, Any] | None = None
    #: the Hub token of ``--hub_token``, kept out of ``args``: transformers pickles its
    #: arguments whole into ``training_args.bin`` in every checkpoint and the model folder,
    #: which travel (``push_to_hub`` uploads them); the Hub client reads it from ``HF_TOKEN``.
    hub_token: str | None = field(default=None, repr=False)

    def export_hub_token(self) -> None:
        """Hand ``--hub_token`` to the Hub client the way it reads tokens: ``HF_TOKEN``."""
        if self.hub_token:
            os.environ["HF_TOKEN"] = self.hub_token

    @property
    def output_dir(self) -> Path:
        return Path(self.args.output_dir)

    @property
    def hash(self) -> str:
        """Identity of the stage's settings: a finished stage is skipped only when it matches.

        Over the values as the run card records them (secrets redacted): a new
        ``hub_token`` does not change what is trained."""
        from medfr_eval.core.secret_keys import redact_secrets

        blob = json.dumps(redact_secrets(self.values), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class StageInput:
    """What a stage is built from: merged keys and where each came from."""

    name: str
    merged: dict[str, Any]
    origin: dict[str, tuple[str, ...]]
    single: bool  # the recipe has only this stage (keys at the top level are its own)

    def own(self, key: str) -> bool:
        """Was ``key`` set for this stage (not merely shared at the top of a chained recipe)?"""
        return key in self.origin and (self.single or self.origin[key][:2] == ("stages", self.name))


def interpolate(merged: dict[str, Any], previous: dict[str, dict[str, Any]], err: KeyErr) -> None:
    """Replace ``${stage.field}`` in string values by an earlier stage's resolved value."""
    for key, value in list(merged.items()):
        if not (isinstance(value, str) and "${" in value):
            continue

        def sub(m: re.Match[str], key: str = key) -> str:
            st, fld = m.group(1), m.group(2)
            if st not in previous:
                raise err(key, f"${{{st}.{fld}}}: no earlier stage named {st!r}")
            if previous[st].get(fld) is None:
                raise err(key, f"${{{st}.{fld}}}: stage {st} has no value for {fld!r}")
            return str(previous[st][fld])

        merged[key] = _INTERP.sub(sub, value)


def check_stage_rules(inp: StageInput, values: dict[str, Any], err: KeyErr) -> None:
    """What TRL cannot check: required keys and the CPT / SFT split of keys."""
    if not values.get("model_name_or_path"):
        raise err("model_name_or_path", "missing: the model to start from")
    if not values.get("output_dir"):
        raise err("output_dir", "missing: where to write the model")
    if inp.name == "cpt":
        bs = values.get("block_size")
        if bs is None:
            raise err("block_size", "missing: tokens per packed block (the study's: 2048)")
        if bs < 2:
            raise err("block_size", f"must be an integer >= 2, got {bs!r}")
        if values.get("packing"):
            raise err(
                "packing",
                "CPT packs the corpus itself into full blocks of block_size tokens; "
                "TRL's packing must stay off for this stage",
            )
        if values.get("max_length") not in (None, bs) and "max_length" in inp.origin:
            raise err("max_length", f"CPT uses block_size ({bs}); remove max_length")
        for key in _SFT_ONLY:
            # A key shared at the top of a chained recipe is meant for the SFT stage.
            if inp.own(key):
                raise err(key, "is an SFT key; not valid in a CPT stage")
    else:
        for key in _CPT_ONLY:
            if inp.own(key):
                raise err(key, "is a CPT key; not valid in an SFT stage")
        if inp.own("from_recipe"):
            raise err(
                "from_recipe",
                "reuses a CPT; put it under stages.cpt (the SFT stage starts from ${cpt.output_dir})",
            )
        name = values.get("chat_template")
        if name is not None:
            from medfr_train.chat_templates import NAMES

            if name not in NAMES:
                raise err("chat_template", f"unknown template {name!r}; known: {', '.join(NAMES)}")
        if values.get("use_dora") and not values.get("use_peft"):
            raise err("use_dora", "use_dora needs use_peft: true")


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


#: key -> (check of the parsed value, what the key must be). TRL and transformers
#: accept these values and fail much later (a traceback after the model has
#: loaded) or worse, silently train 0 steps; so they are refused with the recipe.
NUMBER_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "learning_rate": (lambda v: _finite(v) and v > 0, "a number > 0"),
    "per_device_train_batch_size": (lambda v: _finite(v) and v >= 1, "an integer >= 1"),
    "per_device_eval_batch_size": (lambda v: _finite(v) and v >= 1, "an integer >= 1"),
    "gradient_accumulation_steps": (lambda v: _finite(v) and v >= 1, "an integer >= 1"),
    "max_steps": (
        lambda v: _finite(v) and (v >= 1 or v == -1),
        "an integer >= 1 (or -1: use epochs)",
    ),
    "save_steps": (lambda v: _finite(v) and v > 0, "a number > 0"),
    "logging_steps": (lambda v: _finite(v) and v > 0, "a number > 0"),
    "eval_steps": (lambda v: v is None or (_finite(v) and v > 0), "a number > 0"),
    "warmup_steps": (lambda v: _finite(v) and v >= 0, "a number >= 0"),
    "warmup_ratio": (lambda v: v is None or (_finite(v) and 0 <= v <= 1), "a number from 0 to 1"),
    "weight_decay": (lambda v: _finite(v) and v >= 0, "a number >= 0"),
    "max_grad_norm": (lambda v: v is None or (_finite(v) and v >= 0), "a number >= 0"),
    "seed": (lambda v: _finite(v) and 0 <= v < 2**32, "an integer from 0 to 2**32 - 1"),
    "max_length": (lambda v: v is None or (_finite(v) and v >= 1), "an integer >= 1"),
    "dataset_num_proc": (lambda v: v is None or (_finite(v) and v >= 1), "an integer >= 1"),
    "lora_r": (lambda v: _finite(v) and v >= 1, "an integer >= 1"),
    "lora_alpha": (lambda v: _finite(v) and v > 0, "a number > 0"),
    "lora_dropout": (lambda v: _finite(v) and 0 <= v < 1, "a number from 0 to below 1"),
}


def check_numbers(inp: StageInput, args: Any, model: Any, err: KeyErr) -> None:
    """Refuse values that would train nothing or fail after the model has loaded.

    ``num_train_epochs: -3`` ran 0 steps, exited 0 and wrote a run card beside
    the untouched base weights; a negative batch size or learning rate passed
    and failed in the trainer. Only keys that matter for the stage are checked
    (DoRA keys only when peft is on)."""
    for key, (ok, what) in NUMBER_RULES.items():
        if key.startswith("lora_") and not getattr(model, "use_peft", False):
            continue
        owner = model if hasattr(model, key) and not hasattr(args, key) else args
        if not hasattr(owner, key):
            continue
        value = getattr(owner, key)
        if not ok(value):
            raise err(key, f"must be {what}, got {value!r}")
    epochs = args.num_train_epochs
    if args.max_steps == -1 and not (_finite(epochs) and epochs > 0):
        raise err("num_train_epochs", f"must be a number > 0 (or set max_steps), got {epochs!r}")


def build_stage(
    inp: StageInput,
    previous: dict[str, dict[str, Any]],
    base: Path,
    check_data: bool,
    err: KeyErr,
) -> Stage:
    """Interpolate, type-check with TRL's parser, apply the stage rules, look at the data."""
    import torch

    merged = dict(inp.merged)
    interpolate(merged, previous, err)
    _checkpointing_names(merged)
    if "bf16" not in merged:
        # bf16 where the hardware has it (study setting), fp32 elsewhere.
        merged["bf16"] = bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    merged.setdefault("include_num_input_tokens_seen", True)
    if "dataloader_pin_memory" not in merged:
        # Pinned memory speeds copies to a GPU; without one torch warns at every epoch
        # that it cannot pin. Not a setting of the run: not in its values nor its hash.
        merged["dataloader_pin_memory"] = bool(torch.cuda.is_available())
    try:
        (args, model, medfr), values = parse_values(stage_parser(), merged)
    except KeyValueError as exc:
        if exc.key is None:
            raise err("recipe", f"rejected by TRL/transformers: {exc.message}") from None
        raise err(exc.key, exc.message) from None
    values = {k: v for k, v in values.items() if k in inp.merged or k == "bf16"}
    hub_token, args.hub_token = args.hub_token, None  # never pickled: see Stage.hub_token
    check_stage_rules(inp, values, err)
    check_numbers(inp, args, model, err)
    if inp.name == "cpt":
        # CPT feeds SFTTrainer full blocks it packed itself (medfr_train.cpt).
        args.max_length, args.packing, args.completion_only_loss = medfr.block_size, False, False
    if "column_mapping" in values:
        values["column_mapping"] = medfr.column_mapping
    data = build_data_spec(inp.name, values, base, check_data, err)
    return Stage(
        name=inp.name,
        args=args,
        model=model,
        data=data,
        values=_jsonable(values),
        block_size=medfr.block_size if inp.name == "cpt" else None,
        merge_adapter=bool(medfr.merge_adapter),
        default_chat_template=medfr.default_chat_template,
        chat_template=medfr.chat_template if inp.name == "sft" else None,
        document_framing=medfr.document_framing,
        hub_token=hub_token,
    )


#: transformers' deprecated names of activation checkpointing -> the names that replace them.
_RENAMED = {
    "gradient_checkpointing": "activation_checkpointing",
    "gradient_checkpointing_kwargs": "activation_checkpointing_kwargs",
}


def _checkpointing_names(merged: dict[str, Any]) -> None:
    """Pass activation checkpointing to transformers under its current name.

    Why: transformers 5.x renamed ``gradient_checkpointing`` to
    ``activation_checkpointing`` and warns (FutureWarning) whenever the new field
    is unset and the old one is not None, which TRL's ``SFTConfig`` default
    (``gradient_checkpointing=True``) makes true on every run. Recipes keep the
    name TRL and alignment-handbook document; the value is handed over under the
    new name when this transformers has it, and left alone on older ones.
    """
    from transformers import TrainingArguments

    if "activation_checkpointing" not in field_names(TrainingArguments):
        return
    if (
        not any(new in merged for new in _RENAMED.values())
        and "gradient_checkpointing" not in merged
    ):
        from trl import SFTConfig

        # TRL's own default for the old name, now stated under the new one.
        merged["gradient_checkpointing"] = SFTConfig.__dataclass_fields__[
            "gradient_checkpointing"
        ].default
    for old, new in _RENAMED.items():
        # Both names, same value: transformers reads the new one and mirrors it into the
        # old, and the run card keeps the key as the recipe wrote it.
        if old in merged and new not in merged:
            merged[new] = merged[old]


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
