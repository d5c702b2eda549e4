"""Load and validate a training recipe: YAML -> TRL's own dataclasses.

A recipe is flat YAML as in alignment-handbook: its keys are the fields of
TRL's ``SFTConfig`` (which is ``transformers.TrainingArguments`` plus SFT
options) and ``ModelConfig`` (model path, dtype, peft/DoRA). Only what TRL
lacks is ours: ``strategy``, ``stages`` (CPT then SFT), data description
(``dataset_files``, ``dataset_name`` + ``column_mapping``), ``block_size``,
``merge_adapter`` and ``run_card``.

Why some of our own code here: ``HfArgumentParser.parse_dict`` checks key
names but neither converts nor checks value types (PyYAML reads ``2e-5`` as a
string, which would reach the optimizer as a string), and its errors do not
name the recipe file or line. So we check keys and coerce values against the
dataclass field types ourselves, then build the dataclasses with
``parse_dict`` so TRL's own ``__post_init__`` checks still run.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import glob
import hashlib
import json
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

STAGE_KINDS = ("cpt", "sft")
STRATEGIES = {"CPT": ("cpt",), "SFT": ("sft",), "CPT+SFT": ("cpt", "sft")}

# The seven projections of a Mistral decoder layer, as DoRA targets in the study.
DORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

# Study settings (../shared/PAPER.md, "Training procedure"), used when a recipe
# does not say otherwise. bf16 is absent on purpose: it is decided per machine.
CPT_DEFAULTS: dict[str, Any] = {
    "learning_rate": 2e-5,
    "lr_scheduler_type": "cosine",
    "warmup_steps": 0,
    "weight_decay": 0.01,
    "optim": "adamw_torch",
    "per_device_train_batch_size": 16,
    "gradient_accumulation_steps": 2,
    "max_grad_norm": 1.0,
    "gradient_checkpointing": True,
    "num_train_epochs": 2.8,
    "block_size": 2048,
    "seed": 42,
    "report_to": "none",
    "save_strategy": "steps",
    "save_steps": 500,
}
SFT_DEFAULTS: dict[str, Any] = {
    "use_peft": True,
    "use_dora": True,
    "lora_r": 16,
    "lora_alpha": 16,
    "lora_dropout": 0.05,
    "lora_target_modules": list(DORA_TARGETS),
    "learning_rate": 2e-5,
    "lr_scheduler_type": "cosine",
    "optim": "adamw_torch",
    "per_device_train_batch_size": 4,
    "per_device_eval_batch_size": 8,
    "gradient_accumulation_steps": 2,
    "gradient_checkpointing": True,
    "num_train_epochs": 10,
    "seed": 42,
    "packing": True,
    "max_length": 2048,
    "report_to": "none",
    "save_strategy": "steps",
    "save_steps": 500,
    "merge_adapter": False,
}
DEFAULTS = {"cpt": CPT_DEFAULTS, "sft": SFT_DEFAULTS}

# medfr keys valid in a stage (or at the top level, shared by every stage).
# name -> (type, help)
STAGE_KEYS: dict[str, tuple[Any, str]] = {
    "dataset_files": (list[str], "local data files or globs, relative to the recipe's folder"),
    "dataset_name": (str, "a Hugging Face Hub dataset id (instead of dataset_files)"),
    "dataset_config": (str | None, "the hub dataset's configuration name"),
    "dataset_split": (str, "the split to train on (default: train)"),
    "column_mapping": (dict, "SFT hub data: our schema field -> dataset column"),
    "text_column": (str, "CPT: the column holding the text (default: text)"),
    "eval_dataset_files": (list[str], "SFT: local JSONL files to evaluate on"),
    "block_size": (int, "CPT: tokens per packed block (study: 2048)"),
    "merge_adapter": (bool, "SFT: merge the DoRA adapter into the weights at the end"),
    "default_chat_template": (str | None, "SFT: Jinja chat template for models without one"),
}
RUN_CARD_KEYS: dict[str, tuple[Any, str]] = {
    "carbon_intensity_kg_per_kwh": (float, "grid carbon intensity, kgCO2e per kWh"),
    "price_per_gpu_hour": (float, "price of one GPU-hour, USD"),
    "gpu_name": (str, "GPU model, for the record"),
    "gpu_tdp_watts": (float, "GPU board power, for the energy estimate without codecarbon"),
}
TOP_KEYS: dict[str, tuple[Any, str]] = {
    "strategy": (str, "CPT, SFT or CPT+SFT"),
    "model_name": (str, "name of the adapted model (run card)"),
    "base_model": (str, "name of the starting model (run card)"),
    "run_card": (dict, "carbon / price figures for the run card"),
    "stages": (dict, "CPT+SFT: one mapping of flat keys per stage (cpt, sft)"),
}


class RecipeError(Exception):
    """A bad recipe: says which file, which field and, when known, which line."""

    def __init__(self, file: str | Path, field: str, message: str, line: int | None = None):
        self.file, self.field, self.line, self.message = str(file), field, line, message
        where = f"{self.file}:{line}" if line else self.file
        super().__init__(f"{where}: {field}: {message}")


@dataclass
class DataSpec:
    """Where a stage's data comes from (resolved paths)."""

    files: list[Path] = field(default_factory=list)
    dataset_name: str | None = None
    dataset_config: str | None = None
    split: str = "train"
    column_mapping: dict[str, str] | None = None
    text_column: str = "text"
    eval_files: list[Path] = field(default_factory=list)


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

    @property
    def output_dir(self) -> Path:
        return Path(self.args.output_dir)

    @property
    def hash(self) -> str:
        """Identity of the stage's settings: a finished stage is skipped only when it matches."""
        blob = json.dumps(self.values, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


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


# --------------------------------------------------------------------------- types


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def coerce(value: Any, tp: Any) -> Any:
    """Convert a YAML / command-line value to the field type ``tp`` or raise ``TypeError``."""
    if tp is Any or tp is typing.Any:
        return value
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = typing.get_args(tp)
        if value is None:
            if type(None) in args:
                return None
            raise TypeError(f"expected {_type_name(tp)}, got null")
        # Exact matches first, so that a str stays a str in `float | str`.
        for a in args:
            if a is not type(None) and _is_exact(value, a):
                return value
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return coerce(value, a)
            except TypeError as e:
                errors.append(str(e))
        raise TypeError(f"expected {_type_name(tp)}, got {value!r}")
    if value is None:
        raise TypeError(f"expected {_type_name(tp)}, got null")
    if origin in (list, tuple):
        (item,) = typing.get_args(tp)[:1] or (Any,)
        if not isinstance(value, list):
            value = [value]
        return [coerce(v, item) for v in value]
    if origin is dict or tp is dict:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                pass
        if not isinstance(value, dict):
            raise TypeError(f"expected a mapping, got {value!r}")
        return value
    if origin is typing.Literal:
        if value not in typing.get_args(tp):
            raise TypeError(f"expected one of {list(typing.get_args(tp))}, got {value!r}")
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
            return value.lower() in ("true", "yes", "1")
        raise TypeError(f"expected true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            return int(value)
        raise TypeError(f"expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise TypeError(f"expected a number, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise TypeError(f"expected a string, got {value!r}")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value).value
        except ValueError as e:
            choices = [m.value for m in tp]
            raise TypeError(f"expected one of {choices}, got {value!r}") from e
    return value


def _is_exact(value: Any, tp: Any) -> bool:
    if tp is float:
        return isinstance(value, float)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp in (str, bool):
        return type(value) is tp
    return False


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


# --------------------------------------------------------------------------- fields


def _fields(cls) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls) if f.init}


def trl_fields() -> tuple[dict[str, dataclasses.Field], dict[str, dataclasses.Field]]:
    """Fields of TRL's ``SFTConfig`` and ``ModelConfig``: the recipe's vocabulary."""
    from trl import ModelConfig, SFTConfig

    return _fields(SFTConfig), _fields(ModelConfig)


def stage_key_type(key: str) -> Any:
    sft_f, model_f = trl_fields()
    if key in STAGE_KEYS:
        return STAGE_KEYS[key][0]
    if key in sft_f:
        return sft_f[key].type
    if key in model_f:
        return model_f[key].type
    raise KeyError(key)


def is_stage_key(key: str) -> bool:
    sft_f, model_f = trl_fields()
    return key in STAGE_KEYS or key in sft_f or key in model_f


# --------------------------------------------------------------------------- lines


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line (1-based) of every mapping key in the YAML, by its path."""
    lines: dict[tuple[str, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines

    def walk(node, prefix):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    path = (*prefix, str(k.value))
                    lines[path] = k.start_mark.line + 1
                    walk(v, path)

    walk(root, ())
    return lines


# --------------------------------------------------------------------------- overrides


def parse_overrides(overrides: list[str] | None) -> list[tuple[tuple[str, ...], Any]]:
    """``--key value``, ``--key=value``, ``--stage.sft.key value``, ``--run_card.key value``.

    Values are read as YAML scalars (so ``1e-4``, ``true``, ``[a, b]`` work); a
    flag with no value means ``true``, as with TrlParser's boolean flags.
    """
    out: list[tuple[tuple[str, ...], Any]] = []
    items = list(overrides or [])
    i = 0
    while i < len(items):
        tok = items[i]
        if not tok.startswith("--") or len(tok) < 3:
            raise RecipeError("command line", tok, "expected --key value (TrlParser style)")
        key = tok[2:]
        if "=" in key:
            key, raw = key.split("=", 1)
            i += 1
        elif i + 1 < len(items) and not items[i + 1].startswith("--"):
            raw = items[i + 1]
            i += 2
        else:
            raw = "true"
            i += 1
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        path = tuple(key.split("."))
        if path[0] == "stage":
            if len(path) != 3:
                raise RecipeError("command line", tok, "expected --stage.<cpt|sft>.<key> value")
            path = ("stages", path[1], path[2])
        out.append((path, value))
    return out


# --------------------------------------------------------------------------- loading


_INTERP = re.compile(r"\$\{(\w+)\.(\w+)\}")


def _resolve_files(entries: list[str], base: Path) -> list[Path] | None:
    """Expand globs relative to the recipe's folder, the shipped recipes folder, then the cwd.

    The last root serves the study recipes, whose data (NACHOS, prepared with
    ``medfr-train prepare-corpus``) the user keeps in their working directory.
    """
    roots = [base]
    try:
        from medfr_eval.resources import recipes_dir

        roots.append(recipes_dir())
    except FileNotFoundError:  # pragma: no cover - incomplete install
        pass
    roots.append(Path.cwd())
    found: list[Path] = []
    for entry in entries:
        p = Path(entry).expanduser()
        hits: list[str] = []
        for root in [Path("/")] if p.is_absolute() else roots:
            hits = sorted(glob.glob(str(root / p)))
            if hits:
                break
        if not hits:
            return None if not found else [*found, Path("__missing__:" + entry)]
        found.extend(Path(h).resolve() for h in hits)
    return found


def load_recipe(
    path: str | Path, overrides: list[str] | None = None, check_data: bool = True
) -> Recipe:
    """Read, validate and resolve a recipe; raise ``RecipeError`` on any bad input.

    Nothing is written and no model weights are loaded: this is what
    ``medfr-train check`` runs, and what every run does before any GPU work.
    ``check_data=False`` skips the data files (for study recipes whose data the
    user provides later).
    """
    path = Path(path)
    if not path.is_file():
        raise RecipeError(path, "recipe", "file not found")
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise RecipeError(path, "yaml", f"not valid YAML: {getattr(e, 'problem', e)}", line) from e
    if not isinstance(raw, dict):
        raise RecipeError(path, "recipe", "must be a YAML mapping of keys to values")
    lines = _key_lines(text)

    def err(keypath: tuple[str, ...], message: str) -> RecipeError:
        return RecipeError(path, ".".join(keypath), message, lines.get(keypath))

    raw = copy.deepcopy(raw)
    cli_top: dict[str, Any] = {}
    cli_stage: dict[str, dict[str, Any]] = {}
    for kp, value in parse_overrides(overrides):
        if kp[0] == "stages":
            cli_stage.setdefault(kp[1], {})[kp[2]] = value
        elif kp[0] == "run_card" and len(kp) == 2:
            raw.setdefault("run_card", {})
            if not isinstance(raw["run_card"], dict):
                raise err(("run_card",), "must be a mapping")
            raw["run_card"][kp[1]] = value
        elif len(kp) == 1 and kp[0] in TOP_KEYS and kp[0] not in ("stages", "run_card"):
            raw[kp[0]] = value
        elif len(kp) == 1:
            if not is_stage_key(kp[0]):
                raise RecipeError("command line", f"--{kp[0]}", "unknown key")
            cli_top[kp[0]] = value
        else:
            raise RecipeError("command line", "--" + ".".join(kp), "unknown key")

    # Top level: medfr keys or shared stage keys, nothing else.
    shared: dict[str, Any] = {}
    for key, value in raw.items():
        if key in TOP_KEYS:
            continue
        if not is_stage_key(key):
            raise err(
                (key,), "unknown key (not a TRL SFTConfig / ModelConfig field nor a medfr key)"
            )
        shared[key] = value

    strategy = raw.get("strategy")
    if strategy not in STRATEGIES:
        raise err(("strategy",), f"must be one of {sorted(STRATEGIES)}, got {strategy!r}")
    kinds = STRATEGIES[strategy]
    stages_raw = raw.get("stages")
    if stages_raw is None:
        stages_raw = {}
        if len(kinds) > 1:
            raise err(
                ("stages",), f"strategy {strategy} needs a 'stages' mapping with {list(kinds)}"
            )
    if not isinstance(stages_raw, dict):
        raise err(("stages",), "must be a mapping of stage name (cpt, sft) to keys")
    for name in stages_raw:
        if name not in kinds:
            raise err(
                ("stages", name), f"unknown stage for strategy {strategy}; expected {list(kinds)}"
            )
    for name in cli_stage:
        if name not in kinds:
            raise RecipeError(
                "command line", f"--stage.{name}", f"no such stage; expected {list(kinds)}"
            )
    missing = [k for k in kinds if len(kinds) > 1 and k not in stages_raw]
    if missing:
        raise err(("stages",), f"missing stage(s) {missing}")

    run_card = raw.get("run_card") or {}
    if not isinstance(run_card, dict):
        raise err(("run_card",), "must be a mapping")
    rc: dict[str, Any] = {}
    for key, value in run_card.items():
        if key not in RUN_CARD_KEYS:
            raise err(("run_card", key), f"unknown key; expected one of {sorted(RUN_CARD_KEYS)}")
        try:
            rc[key] = coerce(value, RUN_CARD_KEYS[key][0])
        except TypeError as e:
            raise err(("run_card", key), str(e)) from None
    for key in ("model_name", "base_model"):
        if key in raw and not isinstance(raw[key], str):
            raise err((key,), "expected a string")

    base = path.parent.resolve()
    stages: list[Stage] = []
    resolved_by_name: dict[str, dict[str, Any]] = {}
    # the command line wins over the recipe, as for every other key
    top_output = cli_top.get("output_dir", shared.get("output_dir"))
    for name in kinds:
        stage_raw = stages_raw.get(name) or {}
        if not isinstance(stage_raw, dict):
            raise err(("stages", name), "must be a mapping of keys")
        origin: dict[str, tuple[str, ...]] = {}
        merged: dict[str, Any] = dict(DEFAULTS[name])
        for key, value in shared.items():
            merged[key] = value
            origin[key] = (key,)
        for key, value in stage_raw.items():
            if key in ("strategy", "stages", "run_card"):
                raise err(("stages", name, key), "belongs at the top level of the recipe")
            if not is_stage_key(key):
                raise err(
                    ("stages", name, key),
                    "unknown key (not a TRL SFTConfig / ModelConfig field nor a medfr key)",
                )
            merged[key] = value
            origin[key] = ("stages", name, key)
        for key, value in cli_top.items():
            merged[key] = value
            origin[key] = (f"--{key}",)
        for key, value in cli_stage.get(name, {}).items():
            if not is_stage_key(key):
                raise RecipeError("command line", f"--stage.{name}.{key}", "unknown key")
            merged[key] = value
            origin[key] = (f"--stage.{name}.{key}",)
        if (
            len(kinds) > 1
            and "output_dir" not in stage_raw
            and "output_dir" not in cli_stage.get(name, {})
            and top_output is not None
        ):
            merged["output_dir"] = str(Path(str(top_output)) / name)
        stage = _build_stage(
            name, merged, origin, resolved_by_name, base, check_data, err, len(kinds) == 1
        )
        resolved_by_name[name] = stage.values
        stages.append(stage)

    first_model = stages[0].model.model_name_or_path
    recipe = Recipe(
        path=path.resolve(),
        strategy=strategy,
        model_name=raw.get("model_name") or stages[-1].output_dir.name,
        base_model=raw.get("base_model") or str(first_model),
        stages=stages,
        run_card=rc,
        raw=raw,
    )
    _check_context(recipe, lines)
    return recipe


def _build_stage(name, merged, origin, previous, base, check_data, err, single) -> Stage:
    import torch
    from transformers import HfArgumentParser
    from trl import ModelConfig, SFTConfig

    def where(key: str) -> tuple[str, ...]:
        return origin.get(key, (key,))

    # ${stage.field} interpolation from earlier stages.
    for key, value in list(merged.items()):
        if isinstance(value, str) and "${" in value:

            def sub(m, key=key):
                st, fld = m.group(1), m.group(2)
                if st not in previous:
                    raise err(where(key), f"${{{st}.{fld}}}: no earlier stage named {st!r}")
                if fld not in previous[st] or previous[st][fld] is None:
                    raise err(where(key), f"${{{st}.{fld}}}: stage {st} has no value for {fld!r}")
                return str(previous[st][fld])

            merged[key] = _INTERP.sub(sub, value)

    sft_f, model_f = trl_fields()
    values: dict[str, Any] = {}
    for key, value in merged.items():
        try:
            values[key] = coerce(value, stage_key_type(key))
        except TypeError as e:
            raise err(where(key), str(e)) from None
        choices = sft_f.get(key) or model_f.get(key)
        choices = choices.metadata.get("choices") if choices is not None else None
        if choices and values[key] is not None and values[key] not in choices:
            raise err(where(key), f"must be one of {choices}, got {values[key]!r}")

    if not values.get("model_name_or_path"):
        raise err(where("model_name_or_path"), "missing: the model to start from")
    if not values.get("output_dir"):
        raise err(where("output_dir"), "missing: where to write the model")
    if values.get("trust_remote_code"):
        # Only the user may ask for it, explicitly; we just pass it on.
        pass
    if "bf16" not in values:
        # bf16 where the hardware has it (study setting), fp32 elsewhere.
        values["bf16"] = bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())

    if name == "cpt":
        bs = values.get("block_size")
        if bs is None or bs < 2:
            raise err(where("block_size"), f"must be an integer >= 2, got {bs!r}")
        if values.get("packing"):
            raise err(
                where("packing"),
                "CPT packs the corpus itself into full blocks of block_size tokens; "
                "TRL's packing must stay off for this stage",
            )
        if "max_length" in values and values["max_length"] not in (None, bs):
            raise err(where("max_length"), f"CPT uses block_size ({bs}); remove max_length")
        for key in (
            "column_mapping",
            "merge_adapter",
            "eval_dataset_files",
            "default_chat_template",
        ):
            # A key shared at the top of a chained recipe is meant for the SFT stage.
            if key in origin and (single or origin[key][:2] == ("stages", name)):
                raise err(where(key), "is an SFT key; not valid in a CPT stage")
    else:
        if "block_size" in origin and (single or origin["block_size"][:2] == ("stages", name)):
            raise err(where("block_size"), "is a CPT key; SFT uses max_length")
        if values.get("use_dora") and not values.get("use_peft"):
            raise err(where("use_dora"), "use_dora needs use_peft: true")

    # Data.
    data = DataSpec(
        dataset_name=values.get("dataset_name"),
        dataset_config=values.get("dataset_config"),
        split=values.get("dataset_split", "train"),
        column_mapping=values.get("column_mapping"),
        text_column=values.get("text_column", "text"),
    )
    files = values.get("dataset_files")
    if files and data.dataset_name:
        raise err(where("dataset_files"), "give dataset_files or dataset_name, not both")
    if not files and not data.dataset_name:
        raise err(
            where("dataset_files"), "missing: give dataset_files (local) or dataset_name (hub)"
        )
    if check_data:
        for key, target in (("dataset_files", "files"), ("eval_dataset_files", "eval_files")):
            entries = values.get(key)
            if not entries:
                continue
            resolved = _resolve_files(entries, base)
            if resolved is None or any(str(p).startswith("__missing__:") for p in resolved):
                bad = [e for e in entries if not _resolve_files([e], base)]
                raise err(where(key), f"no file matches {bad} (paths are relative to {base})")
            for p in resolved:
                _check_data_file(p, name, err, where(key), data)
            setattr(data, target, resolved)
            values[key] = [str(p) for p in resolved]

    # TRL dataclasses.
    sft_kwargs = {k: v for k, v in values.items() if k in sft_f}
    model_kwargs = {k: v for k, v in values.items() if k in model_f}
    if name == "cpt":
        sft_kwargs.update(
            max_length=values["block_size"], packing=False, completion_only_loss=False
        )
    sft_kwargs.setdefault("include_num_input_tokens_seen", True)
    try:
        (args,) = HfArgumentParser(SFTConfig).parse_dict(sft_kwargs, allow_extra_keys=False)
    except (ValueError, TypeError) as e:
        key = _guess_key(str(e), sft_kwargs) or "SFTConfig"
        raise err(where(key), f"rejected by TRL/transformers: {e}") from None
    try:
        (model,) = HfArgumentParser(ModelConfig).parse_dict(model_kwargs, allow_extra_keys=False)
    except (ValueError, TypeError) as e:
        key = _guess_key(str(e), model_kwargs) or "ModelConfig"
        raise err(where(key), f"rejected by TRL: {e}") from None
    return Stage(
        name=name,
        args=args,
        model=model,
        data=data,
        values=_jsonable(values),
        block_size=values.get("block_size") if name == "cpt" else None,
        merge_adapter=bool(values.get("merge_adapter", False)),
        default_chat_template=values.get("default_chat_template"),
    )


def _guess_key(message: str, keys: dict[str, Any]) -> str | None:
    hits = [k for k in keys if re.search(rf"\b{re.escape(k)}\b", message)]
    return max(hits, key=len) if hits else None


def _check_data_file(p: Path, stage: str, err, keypath, data: DataSpec) -> None:
    """Refuse an empty or unreadable data file before any training work."""
    if not p.is_file():
        raise err(keypath, f"{p}: not a file")
    suffix = "".join(p.suffixes[-1:]).lower()
    allowed = {".txt", ".jsonl", ".json", ".parquet"} if stage == "cpt" else {".jsonl"}
    if data.dataset_name is None and data.column_mapping is not None and stage == "sft":
        allowed = {".jsonl", ".json", ".parquet"}
    if suffix not in allowed:
        raise err(
            keypath, f"{p}: unsupported file type {suffix!r}; expected one of {sorted(allowed)}"
        )
    if suffix == ".parquet":
        if p.stat().st_size == 0:
            raise err(keypath, f"{p}: empty file")
        return
    content = p.read_text(encoding="utf-8", errors="replace")
    if not content.strip():
        raise err(keypath, f"{p}: empty corpus (no text)")
    if stage == "sft" and suffix == ".jsonl" and data.column_mapping is None:
        from medfr_train.sft_data import SFTDataError, validate_file

        try:
            validate_file(p)
        except SFTDataError as e:
            raise err(keypath, str(e)) from None


def _check_context(recipe: Recipe, lines: dict[tuple[str, ...], int]) -> None:
    """Refuse a block size / max length above the model's context, when the config is at hand.

    A later stage whose model is an earlier stage's output (not trained yet)
    inherits the earlier stage's model config. A hub model that is not cached
    cannot be checked offline: the recipe records a note instead.
    """
    from transformers import AutoConfig

    outputs = {str(s.output_dir.resolve()): s for s in recipe.stages}
    cfg_cache: dict[str, Any] = {}
    for stage in recipe.stages:
        src = str(stage.model.model_name_or_path)
        seen = set()
        while str(Path(src).resolve()) in outputs and not Path(src).exists() and src not in seen:
            seen.add(src)
            src = str(outputs[str(Path(src).resolve())].model.model_name_or_path)
        if src not in cfg_cache:
            try:
                cfg_cache[src] = AutoConfig.from_pretrained(src, trust_remote_code=False)
            except Exception as e:  # offline hub id, gated model, ...
                cfg_cache[src] = None
                recipe.notes.append(
                    f"{stage.name}: context length not checked ({src}: {type(e).__name__})"
                )
        cfg = cfg_cache[src]
        if cfg is None:
            continue
        ctx = getattr(cfg, "max_position_embeddings", None)
        length = stage.block_size if stage.name == "cpt" else stage.args.max_length
        key = "block_size" if stage.name == "cpt" else "max_length"
        if ctx is not None and length is not None and length > ctx:
            keypath = ("stages", stage.name, key)
            if keypath not in lines:
                keypath = (key,)
            raise RecipeError(
                recipe.path,
                ".".join(keypath),
                f"{length} is above the model's context ({ctx} tokens, {src})",
                lines.get(keypath),
            )
