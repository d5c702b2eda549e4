"""CPT packing: full blocks only, EOS between documents, no padding, one remainder dropped."""

from __future__ import annotations

import pytest

from medfr_train.packing import pack_blocks, packing_stats, tokenize_documents


@pytest.fixture()
def docs_dataset():
    from datasets import Dataset
    from train_helpers import SENTENCES

    docs = [
        " ".join(SENTENCES[i % len(SENTENCES)] for i in range(k, k + 1 + k % 5)) for k in range(60)
    ]
    return Dataset.from_dict({"text": docs})


@pytest.mark.parametrize("block_size,batch_size", [(32, 7), (32, 1000), (50, 3)])
def test_blocks_are_the_global_stream_cut(docs_dataset, tiny_tokenizer, block_size, batch_size):
    tok = tokenize_documents(docs_dataset, tiny_tokenizer)
    packed = pack_blocks(tok, block_size, batch_size=batch_size)
    eos, pad = tiny_tokenizer.eos_token_id, tiny_tokenizer.pad_token_id
    stream = []
    for text in docs_dataset["text"]:
        stream += tiny_tokenizer(text, add_special_tokens=False)["input_ids"] + [eos]
    n = len(stream) // block_size
    assert n > 5
    blocks = packed["input_ids"]
    assert all(len(b) == block_size for b in blocks)  # only full blocks
    assert blocks == [stream[i * block_size : (i + 1) * block_size] for i in range(n)]
    assert all(pad not in b for b in blocks)  # no padding
    flat = [t for b in blocks for t in b]
    assert flat.count(eos) == stream[: n * block_size].count(eos) >= len(docs_dataset) - 2
    stats = packing_stats(tok, packed, block_size)
    assert stats["tokens_dropped"] == len(stream) - n * block_size < block_size  # one remainder


def test_trl_wrapped_leaves_a_short_chunk_per_map_batch(docs_dataset, tiny_tokenizer):
    """Why we pack ourselves: TRL's `wrapped` strategy keeps a short tail per map batch."""
    from trl import pack_dataset

    tok = tokenize_documents(docs_dataset, tiny_tokenizer)
    wrapped = pack_dataset(tok, 32, strategy="wrapped", map_kwargs={"batch_size": 10})
    short = [len(x) for x in wrapped["input_ids"] if len(x) < 32]
    assert len(short) > 1
    ours = pack_blocks(tok, 32, batch_size=10)
    assert {len(x) for x in ours["input_ids"]} == {32}


def test_too_small_corpus_gives_no_block(tiny_tokenizer):
    from datasets import Dataset

    tok = tokenize_documents(Dataset.from_dict({"text": ["Fièvre."]}), tiny_tokenizer)
    assert len(pack_blocks(tok, 512)) == 0


def test_document_framing_bos_eos(tiny_tokenizer):
    """``add_bos``: <s>doc</s> per document, the authors' framing; without it doc</s>."""
    from datasets import Dataset

    from medfr_train.packing import tokenize_documents

    ds = Dataset.from_dict({"text": ["Le foie filtre le sang.", "Le rein aussi."]})
    plain = tokenize_documents(ds, tiny_tokenizer)["input_ids"]
    framed = tokenize_documents(ds, tiny_tokenizer, add_bos=True)["input_ids"]
    bos, eos = tiny_tokenizer.bos_token_id, tiny_tokenizer.eos_token_id
    for p, f in zip(plain, framed, strict=True):
        assert p[-1] == eos and p[0] != bos
        assert f == [bos, *p]
