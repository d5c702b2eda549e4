"""The offline BERTScore model of the tests and the demo is the same on every build."""

from __future__ import annotations

import json


def test_two_builds_give_the_same_vocabulary_and_keep_french_words(tmp_path):
    """WordPiece's trainer broke ties in hash order: the demo's BERTScore moved from one
    build to the next. The counted vocabulary must not, and must keep accents and case."""
    from transformers import AutoTokenizer

    from medfr_eval.demo.tiny import build_tiny_bert

    a, b = build_tiny_bert(tmp_path / "a"), build_tiny_bert(tmp_path / "b")
    vocab = [json.loads((d / "tokenizer.json").read_text())["model"]["vocab"] for d in (a, b)]
    assert vocab[0] == vocab[1] and len(vocab[0]) == 800
    assert list(vocab[0])[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokens = AutoTokenizer.from_pretrained(a).tokenize("La patiente présente une fièvre.")
    assert "présente" in tokens and "La" in tokens and "[UNK]" not in tokens
