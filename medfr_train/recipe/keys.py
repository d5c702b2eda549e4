"""The recipe's vocabulary beyond TRL: medfr's dataclasses.

A recipe is flat YAML as in alignment-handbook: its keys are fields of TRL's
``SFTConfig`` (``transformers.TrainingArguments`` plus SFT options) and
``ModelConfig`` (model path, dtype, peft/DoRA). What TRL lacks is declared here
as dataclasses, so that ``TrlParser`` / ``HfArgumentParser`` type-check them and
list them in ``medfr-train check --help-keys`` exactly like TRL's own fields.
The study's hyperparameters are not restated here: the recipe files state them,
each with its source, and a key a recipe leaves out takes its field's default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from medfr_eval.core import strategies

STAGE_KINDS = ("cpt", "sft")
#: strategy key -> its stages, from the one table of strategies.
STAGES_OF: dict[str, tuple[str, ...]] = {k: strategies.get(k).stages for k in strategies.TRAINED}

# The seven projections of a Mistral decoder layer, the DoRA targets of the study's recipes.
DORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _help(text: str, choices: list[str] | None = None) -> dict:
    """A field's metadata for HfArgumentParser: its help, and its allowed values if any."""
    return {"help": text} if choices is None else {"help": text, "choices": choices}


@dataclass
class MedfrStageArguments:
    """medfr keys of a stage (or of the top level, shared by every stage)."""

    dataset_files: list[str] | None = field(
        default=None, metadata=_help("local data files or globs, relative to the recipe's folder")
    )
    dataset_name: str | None = field(
        default=None, metadata=_help("a Hugging Face Hub dataset id (instead of dataset_files)")
    )
    dataset_config: str | None = field(
        default=None, metadata=_help("the hub dataset's configuration name")
    )
    dataset_split: str = field(default="train", metadata=_help("the split to train on"))
    # A JSON string on the command line, a mapping in YAML (as transformers' dict fields).
    column_mapping: str | None = field(
        default=None, metadata=_help("SFT hub data: our schema field -> dataset column (mapping)")
    )
    text_column: str = field(default="text", metadata=_help("CPT: the column holding the text"))
    eval_dataset_files: list[str] | None = field(
        default=None, metadata=_help("SFT: local JSONL files to evaluate on")
    )
    block_size: int | None = field(
        default=None, metadata=_help("CPT: tokens per packed block (study: 2048)")
    )
    merge_adapter: bool = field(
        default=False, metadata=_help("SFT: merge the DoRA adapter into the weights at the end")
    )
    default_chat_template: str | None = field(
        default=None, metadata=_help("SFT: Jinja chat template for models without one")
    )
    chat_template: str | None = field(
        default=None,
        metadata=_help(
            "SFT: a named chat template used whatever the tokenizer has: 'study' (the authors' "
            "<|user|>...</s><|assistant|>...</s>) or 'tokenizer' (the tokenizer's own, as unset)"
        ),
    )
    document_framing: str = field(
        default="bos+eos",
        metadata=_help(
            "CPT: how each document enters the stream: 'bos+eos' (<s>doc</s>, the "
            "authors' code) or 'eos' (doc</s>)",
            ["bos+eos", "eos"],
        ),
    )
    from_recipe: str | None = field(
        default=None,
        metadata=_help(
            "CPT stage of a CPT+SFT recipe: reuse the finished CPT of this CPT recipe "
            "(path relative to this recipe) instead of training it again"
        ),
    )

    def __post_init__(self) -> None:
        if isinstance(self.column_mapping, str):
            try:
                self.column_mapping = json.loads(self.column_mapping)
            except json.JSONDecodeError:
                raise ValueError(
                    "column_mapping must be a mapping (JSON on the command line)"
                ) from None
        if self.column_mapping is not None and not isinstance(self.column_mapping, dict):
            raise ValueError("column_mapping must be a mapping of field -> column")


@dataclass
class RecipeArguments:
    """Keys of the recipe as a whole (top level only)."""

    strategy: str = field(
        default=None,
        metadata=_help("what to train", list(strategies.TRAINED)),
    )
    model_name: str | None = field(default=None, metadata=_help("adapted model's name (run card)"))
    base_model: str | None = field(default=None, metadata=_help("starting model's name (run card)"))


@dataclass
class RunCardArguments:
    """``run_card:`` mapping (``--run_card.KEY value`` on the command line)."""

    carbon_intensity_kg_per_kwh: float | None = field(
        default=None, metadata=_help("grid carbon intensity, kgCO2e per kWh")
    )
    price_per_gpu_hour: float | None = field(
        default=None, metadata=_help("price of one GPU-hour, USD")
    )
    gpu_name: str | None = field(default=None, metadata=_help("GPU model, for the record"))
    gpu_tdp_watts: float | None = field(
        default=None, metadata=_help("GPU board power, for the energy estimate without codecarbon")
    )
    gpu_count: int | None = field(
        default=None, metadata=_help("GPUs of the study's run of this model, for the record")
    )
    footprint_profile: str = field(
        default="tdp",
        metadata=_help(
            "how kgCO2e and cost are computed: 'study' (Table 8 rates per GPU-hour) or "
            "'tdp' (GPU-hours x gpu_tdp_watts x carbon intensity, price per GPU-hour)",
            ["study", "tdp"],
        ),
    )


#: top-level keys that are not fields of a dataclass parsed flat.
NESTED_KEYS = ("stages", "run_card")
TOP_KEYS = ("strategy", "model_name", "base_model", *NESTED_KEYS)
