"""CPT block packing: documents + EOS, one global stream, full blocks only.

The study tokenized each document, appended EOS, concatenated everything and
cut the stream into blocks of 2,048 tokens, dropping the single short remainder
(no padding). The packed ``input_ids`` dataset is then handed to TRL's
``SFTTrainer``, which recognises a pre-tokenized dataset, builds ``labels`` as a
copy of ``input_ids`` (loss on every token) and trains; there is no hand-written
loop.

Why TRL's own packing (trl 1.16, ``trl.data_utils.pack_dataset``) is not used
as is:

- ``wrapped`` (``_pack_wrapped``) concatenates and cuts *within each
  ``Dataset.map`` batch* (1,000 documents by default), and keeps the short tail
  of every batch as its own shorter example: one partial block per map batch
  instead of one remainder dropped in total, and those partial blocks get
  padded by the collator.
- ``bfd`` / ``bfd_split`` keep documents apart (best-fit decreasing bins with
  ``seq_lengths`` for document-aware attention): ``bfd`` truncates every
  document longer than the block (losing most of a long thesis), ``bfd_split``
  keeps the tokens but leaves bins that are not full; both force padding-free
  batches whose document boundaries only FlashAttention honours. The study's
  blocks are full, cross document boundaries and attend causally over the
  whole block.

Our packing is a stateless batched ``map`` over *block indices*: each block
``k`` is the slice ``[k*B, (k+1)*B)`` of the global stream, found through the
cumulative document lengths. It parallelises (``num_proc``), caches like any
``map`` and drops exactly one remainder, whatever the batch size.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def tokenize_documents(
    dataset,
    tokenizer,
    text_column: str = "text",
    num_proc: int | None = None,
    add_bos: bool = False,
):
    """Tokenize each document and append EOS; with ``add_bos``, also prepend BOS.

    ``add_bos`` gives the authors' framing, ``<s>doc</s>`` per document (their
    script tokenizes each text with the tokenizer's special tokens and appends
    EOS); without it a document is ``doc</s>``, as the paper's text says. CPT
    recipes choose with ``document_framing`` (default ``bos+eos``).
    """
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the tokenizer has no EOS token; CPT packing needs one between documents")
    bos = [tokenizer.bos_token_id] if add_bos and tokenizer.bos_token_id is not None else []

    def tok(batch: dict[str, list[Any]]) -> dict[str, list[list[int]]]:
        ids = tokenizer(batch[text_column], add_special_tokens=False)["input_ids"]
        return {"input_ids": [bos + x + [eos] for x in ids]}

    return dataset.map(
        tok,
        batched=True,
        remove_columns=dataset.column_names,
        num_proc=num_proc,
        desc="Tokenizing documents (+EOS)",
    )


def _take_blocks(batch, tokens, offsets: np.ndarray, block_size: int) -> dict[str, list]:
    """Gather the blocks of this batch from the global stream (stateless)."""
    blocks = np.asarray(batch["block"], dtype=np.int64)
    start, end = int(blocks.min()) * block_size, (int(blocks.max()) + 1) * block_size
    d0 = int(np.searchsorted(offsets, start, side="right") - 1)
    d1 = int(np.searchsorted(offsets, end, side="left"))
    col = tokens.data.column("input_ids").slice(d0, d1 - d0)
    flat = np.concatenate([c.flatten().to_numpy(zero_copy_only=False) for c in col.chunks])
    local = flat[start - offsets[d0] : end - offsets[d0]]
    arr = local.reshape(-1, block_size)
    rows = arr[blocks - blocks.min()]
    return {"input_ids": [r.tolist() for r in rows]}


def pack_blocks(tokenized, block_size: int, num_proc: int | None = None, batch_size: int = 256):
    """Cut the concatenation of all ``input_ids`` into full blocks; drop the one short remainder.

    Returns a ``datasets.Dataset`` with a single ``input_ids`` column whose rows
    all have exactly ``block_size`` tokens (possibly zero rows: the caller
    decides whether an empty result is an error).
    """
    import pyarrow.compute as pc
    from datasets import Dataset

    lengths = pc.list_value_length(tokenized.data.column("input_ids")).to_numpy(
        zero_copy_only=False
    )
    offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
    n_blocks = int(offsets[-1] // block_size)
    index = Dataset.from_dict({"block": np.arange(n_blocks, dtype=np.int64)})
    if n_blocks == 0:
        return Dataset.from_dict({"input_ids": []})
    fingerprint = f"medfr-pack-{tokenized._fingerprint}-{block_size}"
    return index.map(
        _take_blocks,
        batched=True,
        batch_size=batch_size,
        remove_columns=["block"],
        fn_kwargs={"tokens": tokenized, "offsets": offsets, "block_size": block_size},
        num_proc=num_proc,
        new_fingerprint=fingerprint,
        desc=f"Packing into blocks of {block_size}",
    )


def packing_stats(tokenized, packed, block_size: int) -> dict[str, int]:
    """Token accounting of a packing: what the run card records."""
    import pyarrow.compute as pc

    total = int(pc.sum(pc.list_value_length(tokenized.data.column("input_ids"))).as_py() or 0)
    kept = len(packed) * block_size
    return {
        "documents": len(tokenized),
        "tokens": total,
        "blocks": len(packed),
        "block_size": block_size,
        "tokens_in_blocks": kept,
        "tokens_dropped": total - kept,
    }
