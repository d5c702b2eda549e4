"""CPT stage: raw French medical text -> full packed blocks -> TRL ``SFTTrainer`` (all tokens in the loss).

Corpus formats (DEVELOPERS.md): ``.txt`` (one document per blank-line-separated
block), JSONL / JSON with a ``text`` field, parquet with a ``text`` column, or a
hub dataset (``dataset_name``, ``text_column``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from medfr_train.errors import RecipeError
from medfr_train.packing import pack_blocks, packing_stats, tokenize_documents
from medfr_train.recipe import Stage

_BLANK = re.compile(r"\n\s*\n")


def load_corpus(stage: Stage, recipe_path: Path):
    """The corpus as a ``datasets.Dataset`` with one ``text`` column, one document per row."""
    from datasets import Dataset, concatenate_datasets, load_dataset

    d = stage.data
    col = d.text_column
    if d.dataset_name:
        ds = load_dataset(d.dataset_name, d.dataset_config, split=d.split)
        if col not in ds.column_names:
            raise RecipeError(
                f"{d.dataset_name} has no column {col!r}", file=recipe_path, field="text_column"
            )
        return (
            ds.select_columns([col]).rename_column(col, "text")
            if col != "text"
            else ds.select_columns(["text"])
        )
    parts = []
    for p in d.files:
        suffix = p.suffix.lower()
        if suffix == ".txt":
            docs = [t.strip() for t in _BLANK.split(p.read_text(encoding="utf-8"))]
            parts.append(Dataset.from_dict({"text": [t for t in docs if t]}))
            continue
        fmt = "parquet" if suffix == ".parquet" else "json"
        ds = load_dataset(fmt, data_files=str(p), split="train")
        if col not in ds.column_names:
            raise RecipeError(f"{p} has no column {col!r}", file=recipe_path, field="text_column")
        ds = ds.select_columns([col])
        if col != "text":
            ds = ds.rename_column(col, "text")
        parts.append(ds)
    corpus = concatenate_datasets(parts) if len(parts) > 1 else parts[0]
    return corpus.filter(
        lambda r: bool(r["text"] and r["text"].strip()), desc="Dropping empty documents"
    )


def prepare_blocks(stage: Stage, recipe_path: Path, tokenizer) -> tuple[Any, dict[str, int]]:
    """Tokenize + pack; refuse a corpus too small for one block before any model is loaded."""
    corpus = load_corpus(stage, recipe_path)
    if len(corpus) == 0:
        raise RecipeError(
            "empty corpus: no document with text", file=recipe_path, field="dataset_files"
        )
    num_proc = stage.args.dataset_num_proc
    tokenized = tokenize_documents(
        corpus, tokenizer, "text", num_proc=num_proc, add_bos=stage.document_framing == "bos+eos"
    )
    packed = pack_blocks(tokenized, stage.block_size, num_proc=num_proc)
    stats = packing_stats(tokenized, packed, stage.block_size)
    if stats["blocks"] == 0:
        raise RecipeError(
            f"the corpus has {stats['tokens']} tokens, fewer than one block of {stage.block_size}",
            file=recipe_path,
            field="block_size",
        )
    return packed, stats


class TraceCollator:
    """TRL's collator, plus an optional record of which blocks this rank trained on.

    With ``MEDFR_TRACE_DIR`` set, each rank appends a short hash of every block
    it receives to ``rank<k>.jsonl`` there: this is how data sharding across
    ranks is audited (and tested). Without it, it is TRL's collator unchanged.
    """

    def __init__(self, inner, trace_dir: str | None):
        self.inner = inner
        self.trace = None
        if trace_dir:
            from accelerate import PartialState

            Path(trace_dir).mkdir(parents=True, exist_ok=True)
            self.trace = Path(trace_dir) / f"rank{PartialState().process_index}.jsonl"

    def __call__(self, examples):
        if self.trace is not None:
            with self.trace.open("a") as fh:
                for ex in examples:
                    h = hashlib.sha1(
                        json.dumps(list(map(int, ex["input_ids"]))).encode()
                    ).hexdigest()
                    fh.write(json.dumps({"block": h[:16]}) + "\n")
        return self.inner(examples)


def train_cpt(stage: Stage, recipe_path: Path, resume_from: str | None, callbacks=()) -> dict:
    """Run the CPT stage with TRL's ``SFTTrainer`` on pre-packed blocks; save model + tokenizer."""
    from accelerate import PartialState
    from trl import SFTTrainer
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    from medfr_train.sft import load_model, load_tokenizer

    stage.export_hub_token()
    tokenizer = load_tokenizer(stage, chat=False)
    if tokenizer.pad_token is None:
        # Never used for padding (every block is full); TRL's collator just needs one.
        tokenizer.pad_token = tokenizer.eos_token
    with PartialState().main_process_first():
        packed, stats = prepare_blocks(stage, recipe_path, tokenizer)
    model = load_model(stage)
    collator = TraceCollator(
        DataCollatorForLanguageModeling(pad_token_id=tokenizer.pad_token_id),
        os.environ.get("MEDFR_TRACE_DIR"),
    )
    trainer = SFTTrainer(
        model=model,
        args=stage.args,
        train_dataset=packed,
        processing_class=tokenizer,
        data_collator=collator,
        callbacks=list(callbacks),
    )
    result = trainer.train(resume_from_checkpoint=resume_from)
    trainer.save_model(str(stage.output_dir))
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(stage.output_dir)
    return {"trainer": trainer, "train_result": result, "packing": stats}
