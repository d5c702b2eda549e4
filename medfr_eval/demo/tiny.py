"""Tiny Mistral-architecture models and BPE tokenizers, built offline from our own text.

The tests and the demo never download anything: they train a byte-level BPE
tokenizer with ``tokenizers`` on the French text we ship (sample sets, sample
corpus) and build a 2-layer Mistral config around it. The letters that MCQ
scoring restricts the answer to (" A" ... " E") are guaranteed to be single
tokens, as they are for the real Mistral tokenizer, so a test can count one
forward pass per question.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from medfr_eval.core.resources import samples_dir
from medfr_eval.core.sets import LETTERS

SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", "<pad>"]

# A minimal chat template for the tiny tokenizer (Mistral-instruct-like), so
# that chat-formatted SFT has a real template to apply.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m['role'] == 'user' %}[INST] {{ m['content'] }} [/INST]"
    "{% elif m['role'] == 'assistant' %} {{ m['content'] }}{{ eos_token }}"
    "{% elif m['role'] == 'system' %}{{ m['content'] }}\n{% endif %}{% endfor %}"
)


def _strings(obj) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def shipped_texts(extra_dirs: Iterable[Path] = ()) -> list[str]:
    """All French text we ship: sample sets (every string field) and ``.txt`` / ``.jsonl`` corpora."""
    texts: list[str] = []
    dirs = [samples_dir(), *extra_dirs]
    try:
        from medfr_eval.core.resources import recipes_dir

        dirs.append(recipes_dir() / "data")
    except FileNotFoundError:
        pass
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sorted(d.rglob("*")):
            if path.suffix == ".txt":
                texts.append(path.read_text(encoding="utf-8"))
            elif path.suffix == ".jsonl":
                for line in path.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        texts.extend(_strings(json.loads(line)))
    return texts


def _letter_lines() -> list[str]:
    lines = []
    for letter in LETTERS:
        lines += [f"{letter} : option", f"Réponse : {letter}", f"réponse {letter} juste"] * 50
    return lines


def train_tokenizer(texts: Iterable[str] | None = None, vocab_size: int = 1000):
    """Train a byte-level BPE tokenizer and wrap it as a ``PreTrainedTokenizerFast``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    corpus = list(texts if texts is not None else shipped_texts()) + _letter_lines()
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
    )
    fast.chat_template = CHAT_TEMPLATE
    for letter in LETTERS:
        ids = fast(" " + letter, add_special_tokens=False)["input_ids"]
        if len(ids) != 1:  # pragma: no cover - guaranteed by _letter_lines
            raise RuntimeError(f"tiny tokenizer splits ' {letter}' into {ids}")
    return fast


def tiny_mistral_config(vocab_size: int, **overrides):
    """A 2-layer Mistral config small enough to train on two CPU cores."""
    from transformers import MistralConfig

    cfg = dict(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        sliding_window=None,
        tie_word_embeddings=False,
    )
    cfg.update(overrides)
    return MistralConfig(**cfg)


def build_tiny_model(
    out_dir: str | Path,
    texts: Iterable[str] | None = None,
    seed: int = 0,
    vocab_size: int = 1000,
    **config_overrides,
) -> Path:
    """Write a random-weight tiny Mistral model and its tokenizer to ``out_dir``."""
    import torch
    from transformers import MistralForCausalLM

    out = Path(out_dir)
    tokenizer = train_tokenizer(texts, vocab_size=vocab_size)
    config = tiny_mistral_config(
        len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **config_overrides,
    )
    torch.manual_seed(seed)
    model = MistralForCausalLM(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def build_tiny_bert(out_dir: str | Path, texts: Iterable[str] | None = None, seed: int = 0) -> Path:
    """A 2-layer BERT + WordPiece tokenizer for BERTScore in tests and the offline demo.

    Its scores are not meaningful medically (random weights); it exercises the
    real bert-score code path without a download.
    """
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, BertTokenizerFast

    corpus = list(texts if texts is not None else shipped_texts()) or ["texte médical"]
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    # A vocabulary built by counting, not by WordPiece's trainer: the trainer breaks
    # frequency ties in hash order, so two builds gave other tokens and ids and the
    # demo's BERTScore moved in the third decimal. Every character (alone and as a
    # "##" continuation) keeps any word encodable; the most frequent whole words fill
    # the rest, ties broken by the word itself.
    normalizer = normalizers.BertNormalizer(lowercase=False)
    pre = pre_tokenizers.BertPreTokenizer()
    counts = Counter(
        w for text in corpus for w, _ in pre.pre_tokenize_str(normalizer.normalize_str(text))
    )
    chars = sorted({c for w in counts for c in w})
    vocab = specials + chars + ["##" + c for c in chars]
    known = set(vocab)
    words = sorted((w for w in counts if w not in known), key=lambda w: (-counts[w], w))
    vocab += words[: max(0, 800 - len(vocab))]
    tok = Tokenizer(models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    fast = BertTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=512,
        # cased, accents kept, as the vocabulary was counted (the default would
        # lower-case and strip accents at run time: "présente" became p ##r ##e ...)
        do_lower_case=False,
        strip_accents=False,
    )
    torch.manual_seed(seed)
    model = BertModel(
        BertConfig(
            vocab_size=len(fast),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=512,
        )
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    fast.save_pretrained(out)
    return out
