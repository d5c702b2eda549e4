"""SFT stage: our JSONL schema (or a hub dataset) -> chat turns -> TRL ``SFTTrainer`` with DoRA.

Each item becomes one user turn (a French instruction, the context when there
is one, the question and, for MCQ, the options as ``LETTRE : texte`` lines,
like the evaluation prompts) and one assistant turn (the letter(s) or the
answer). The dataset is *conversational* (``messages``), so TRL applies the
tokenizer's chat template itself and packs the sequences (``packing: true``,
``max_length: 2048`` in the study). DoRA comes from ``trl.get_peft_config``
on TRL's ``ModelConfig`` (``use_dora``), i.e. peft's ``LoraConfig(use_dora=True)``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medfr_train.errors import RecipeError, SFTDataError
from medfr_train.recipe import Stage
from medfr_train.sft_data import LETTERS, validate_file, validate_row

# For base models whose tokenizer has no chat template (Mistral-7B-v0.1 and
# BioMistral-7B have none): the [INST] ... [/INST] layout of
# Mistral-7B-Instruct-v0.1, so that a base model and its instruct sibling are
# fine-tuned on the same layout. A recipe may give its own
# (``default_chat_template``); a tokenizer's own template wins, unless the recipe
# names one (``chat_template: study``, the authors' layout: medfr_train.chat_templates).
DEFAULT_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}\n"
    "{% elif message['role'] == 'user' %}[INST] {{ message['content'] }} [/INST]"
    "{% elif message['role'] == 'assistant' %} {{ message['content'] }}{{ eos_token }}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %} {% endif %}"
)

INSTRUCTION_MCQ = (
    "Voici une question à choix multiples sur un sujet médical{ctx}, suivie de {n} propositions. "
    "Une seule proposition est juste : répondez uniquement par sa lettre, sans justification."
)
INSTRUCTION_MCQ_MULTI = (
    "Voici une question à choix multiples sur un sujet médical{ctx}, suivie de {n} propositions. "
    "Une ou plusieurs propositions sont justes : répondez uniquement par leurs lettres, "
    "séparées par des espaces, sans justification."
)
INSTRUCTION_OPEN = "Répondez brièvement et précisément à la question médicale suivante{ctx}."


def user_prompt(row: dict[str, Any]) -> str:
    """The user turn of an SFT item, in French."""
    ctx = row.get("context")
    kind = row["type"]
    if kind == "open":
        parts = [INSTRUCTION_OPEN.format(ctx=", à partir du contexte donné" if ctx else "")]
    else:
        template = INSTRUCTION_MCQ if kind == "mcq" else INSTRUCTION_MCQ_MULTI
        parts = [template.format(ctx=", avec un contexte" if ctx else "", n=len(row["options"]))]
    if ctx:
        parts.append(f"Contexte : {ctx}")
    parts.append(f"Question : {row['question']}")
    if kind != "open":
        parts.append("\n".join(f"{LETTERS[i]} : {opt}" for i, opt in enumerate(row["options"])))
    return "\n\n".join(parts)


def assistant_answer(row: dict[str, Any]) -> str:
    """The assistant turn: the letter, the letters (``A C``) or the text answer."""
    if row["type"] == "mcq":
        out = row["answer"]
    elif row["type"] == "mcq_multi":
        out = " ".join(row["answer"])
    else:
        out = row["answer"]
    if row.get("explanation"):
        out += f"\n\nExplication : {row['explanation']}"
    return out


def to_messages(row: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"role": "user", "content": user_prompt(row)},
        {"role": "assistant", "content": assistant_answer(row)},
    ]


def _hub_rows(stage: Stage, recipe_path: Path) -> list[list[dict[str, str]]]:
    """A hub (or non-schema local) dataset through the recipe's ``column_mapping``.

    The mapping names, for each of our fields, the dataset column holding it.
    Mapping ``instruction`` instead of ``question``/``options`` takes an
    already formatted prompt as the user turn (MedInjection-FR's
    ``instruction`` column is one).
    """
    from datasets import load_dataset

    d = stage.data
    mapping = d.column_mapping or {}
    if d.dataset_name:
        ds = load_dataset(d.dataset_name, d.dataset_config, split=d.split)
        label = d.dataset_name
    else:
        files = [str(p) for p in d.files]
        fmt = "parquet" if files[0].endswith(".parquet") else "json"
        ds = load_dataset(fmt, data_files=files, split="train")
        label = ", ".join(files)
    missing = [c for c in mapping.values() if c not in ds.column_names]
    if missing:
        raise RecipeError(
            f"{label} has no column(s) {missing}", file=recipe_path, field="column_mapping"
        )
    out = []
    for i, rec in enumerate(ds):
        row = {field: rec[col] for field, col in mapping.items()}
        if "instruction" in row:
            user = str(row["instruction"])
            if row.get("context"):
                user = f"Contexte : {row['context']}\n\n{user}"
            answer = row.get("answer")
            if not isinstance(answer, str) or not answer.strip():
                raise SFTDataError("empty answer", file=label, line=i + 1, field="answer")
            out.append(
                [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
            )
        else:
            row.setdefault("id", str(i))
            row.setdefault("source", "native")
            out.append(to_messages(validate_row(row, label, i + 1)))
    if not out:
        raise RecipeError(f"{label}: no rows", file=recipe_path, field="dataset_name")
    return out


def build_datasets(stage: Stage, recipe_path: Path):
    """Train (and eval) datasets of ``messages``, ready for SFTTrainer."""
    from datasets import Dataset

    if stage.data.column_mapping is not None or stage.data.dataset_name:
        convs = _hub_rows(stage, recipe_path)
    else:
        convs = [to_messages(r) for p in stage.data.files for r in validate_file(p)]
    train = Dataset.from_dict({"messages": convs})
    evald = None
    if stage.data.eval_files:
        evald = Dataset.from_dict(
            {"messages": [to_messages(r) for p in stage.data.eval_files for r in validate_file(p)]}
        )
    return train, evald


def load_tokenizer(stage: Stage, chat: bool = True):
    """The stage's tokenizer; for SFT, with a chat template (ours when it has none)."""
    from transformers import AutoTokenizer

    m = stage.model
    tok = AutoTokenizer.from_pretrained(
        m.model_name_or_path,
        revision=m.model_revision,
        trust_remote_code=stage.args.trust_remote_code,
    )
    if chat:
        from medfr_train.chat_templates import resolve

        tok.chat_template = resolve(
            stage.chat_template,
            tok.chat_template,
            stage.default_chat_template or DEFAULT_CHAT_TEMPLATE,
        )
    return tok


def load_model(stage: Stage):
    import torch
    from transformers import AutoModelForCausalLM

    m = stage.model
    dtype = m.dtype if m.dtype in (None, "auto") else getattr(torch, m.dtype)
    kwargs: dict[str, Any] = {"revision": m.model_revision, "dtype": dtype}
    if m.attn_implementation:
        kwargs["attn_implementation"] = m.attn_implementation
    return AutoModelForCausalLM.from_pretrained(
        m.model_name_or_path, trust_remote_code=stage.args.trust_remote_code, **kwargs
    )


def _remove(folder: Path, names: tuple[str, ...]) -> None:
    for name in names:
        (Path(folder) / name).unlink(missing_ok=True)


@contextlib.contextmanager
def peft_reads_the_old_checkpointing_name() -> Iterator[None]:
    """Silence exactly transformers' FutureWarning on ``model.is_gradient_checkpointing``.

    Why a filter and not a fix: the deprecated property is read by peft
    (``PeftModel.__init__``) and TRL, not by medfr, which passes checkpointing
    under its current name (``activation_checkpointing``, see
    ``medfr_train.recipe.stage``); the warning tells the user of nothing they can
    change. Only this message is ignored, only while the trainer is built and runs."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=r"`is_gradient_checkpointing` is deprecated",
            category=FutureWarning,
        )
        yield


def train_sft(stage: Stage, recipe_path: Path, resume_from: str | None, callbacks=()) -> dict:
    """Run the SFT stage; save the adapter (or the merged model) and the tokenizer."""
    from accelerate import PartialState
    from trl import SFTTrainer, get_peft_config

    stage.export_hub_token()
    with PartialState().main_process_first():
        train, evald = build_datasets(stage, recipe_path)
    tokenizer = load_tokenizer(stage)
    model = load_model(stage)
    with peft_reads_the_old_checkpointing_name():
        trainer = SFTTrainer(
            model=model,
            args=stage.args,
            train_dataset=train,
            eval_dataset=evald,
            processing_class=tokenizer,
            peft_config=get_peft_config(stage.model),
            callbacks=list(callbacks),
        )
        result = trainer.train(resume_from_checkpoint=resume_from)
    out = stage.output_dir
    merged = False
    if stage.merge_adapter and stage.model.use_peft:
        # DoRA at inference is slower than a plain weight; merging also lets
        # lm-eval load the model without peft.
        merged_model = trainer.model.merge_and_unload()
        if trainer.is_world_process_zero():
            _remove(out, ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin"))
            merged_model.save_pretrained(out)
        merged = True
    else:
        if trainer.is_world_process_zero():
            # A full model left by an earlier merged run would shadow the adapter.
            _remove(out, ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin"))
        trainer.save_model(str(out))
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(out)
    return {
        "trainer": trainer,
        "train_result": result,
        "examples": len(train),
        "adapter": bool(stage.model.use_peft) and not merged,
        "merged": merged,
    }
