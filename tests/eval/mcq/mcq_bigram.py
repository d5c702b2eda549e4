"""Tiny models whose next token depends only on the current one, with logits we choose.

The tiny Mistral's attention and MLP outputs are zeroed, so its last hidden
state is the current token's embedding; each "state" token gets its own unit
embedding and the output head maps it to the logits of a table. Decoding is
then known in advance, token by token: a test can make the two constrained
rules provably part ways (an end token first, a newline, a turn end) instead of
hoping a trained model does. Tokens outside the table have zero embeddings,
hence all-zero logits (the argmax is token 0, ``<unk>``, which decodes to "").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path


def single_id(tok, text: str) -> int:
    """The id of ``text``, which must be exactly one token."""
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert len(ids) == 1, f"{text!r} is {ids}"
    return ids[0]


def prompt_end_id(tok, set_names: Sequence[str]) -> int:
    """The last token of every sample prompt of the sets (lm-eval encodes them without BOS)."""
    from medfr_eval.core.sets import get_set
    from medfr_eval.data.load import build_docs, load_records

    ends = set()
    for name in set_names:
        es = get_set(name)
        for doc in build_docs(es, load_records(es.name, "sample")):
            ends.add(tok(doc["prompt"], add_special_tokens=False)["input_ids"][-1])
    (end,) = ends
    return end


def build_bigram_model(
    base_dir: Path,
    out_dir: Path,
    table: Mapping[str, Mapping[str, float]],
    sets: Sequence[str] = ("frmedmcqa", "pubmedqa"),
    add_special: Sequence[str] = (),
    generation: Mapping | None = None,
) -> Path:
    """Write a model whose logits after token ``state`` are ``table[state]`` (0 elsewhere).

    ``table`` keys and inner keys are token texts (one token each); the key
    ``"<prompt>"`` is the last token of the sample prompts of ``sets``.
    ``add_special`` adds special tokens (e.g. an end of turn that is not the
    EOS); ``generation`` sets fields of the saved generation config.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(base_dir)
    if add_special:
        tok.add_special_tokens({"additional_special_tokens": list(add_special)})
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    if add_special:
        model.resize_token_embeddings(len(tok), mean_resizing=False)
    hidden = model.config.hidden_size
    assert len(table) <= hidden
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        emb = model.get_input_embeddings().weight
        head = model.get_output_embeddings().weight
        emb.zero_()
        head.zero_()
        model.model.norm.weight.fill_(1.0)
        for k, (state, logits) in enumerate(table.items()):
            sid = prompt_end_id(tok, sets) if state == "<prompt>" else single_id(tok, state)
            emb[sid, k] = 1.0
            for nxt, value in logits.items():
                # RMS-normalised, the unit embedding is sqrt(hidden) on axis k
                head[single_id(tok, nxt), k] = value / math.sqrt(hidden)
    for key, value in (generation or {}).items():
        setattr(model.generation_config, key, value)
    out = Path(out_dir)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out
