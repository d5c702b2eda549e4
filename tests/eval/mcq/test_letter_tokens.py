"""Which tokens count as a letter: medfr's single-token forms against the authors' last tokens."""

from __future__ import annotations

from medfr_eval.mcq.tokens import authors_forms, medfr_forms


def _tokenizer(vocab: list[str], merges: list[tuple[str, str]], pre_tokenizer):
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<s>", "</s>", "<pad>"]
    ids = {t: i for i, t in enumerate(specials + vocab)}
    tok = Tokenizer(models.BPE(vocab=ids, merges=merges, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizer
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
    )


def byte_level_without_space_merges():
    """Byte-level BPE with no merges at all: " A" is two tokens, "Ġ" and "A"."""
    from tokenizers import pre_tokenizers

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    return _tokenizer(sorted(alphabet), [], pre_tokenizers.ByteLevel(add_prefix_space=False))


def sentencepiece_like():
    """Metaspace like Llama-2 / Mistral: "A" alone is "▁A", " A" is "▁" + "▁A", and "A" is an entry too."""
    from tokenizers import pre_tokenizers

    vocab = ["▁", ",", "\n"] + [x for c in "ABCDE" for x in (c, "▁" + c)]
    merges = [("▁", c) for c in "ABCDE"]
    return _tokenizer(vocab, merges, pre_tokenizers.Metaspace(replacement="▁"))


def test_space_letter_in_two_tokens_uses_the_bare_letter():
    tok = byte_level_without_space_merges()
    assert tok.convert_ids_to_tokens(tok(" A", add_special_tokens=False)["input_ids"]) == ["Ġ", "A"]
    ours, theirs = medfr_forms(tok, "ABCDE"), authors_forms(tok, "ABCDE")
    bare = {x: (tok.convert_tokens_to_ids(x),) for x in "ABCDE"}
    assert ours.ids == bare and ours.split == ()
    assert theirs.ids == bare  # the last token of " A" is "A" too: the same letters


def test_sentencepiece_bare_piece_is_a_letter_for_medfr_only():
    tok = sentencepiece_like()
    assert tok.convert_ids_to_tokens(tok("A", add_special_tokens=False)["input_ids"]) == ["▁A"]
    assert tok.convert_ids_to_tokens(tok(" A", add_special_tokens=False)["input_ids"])[-1] == "▁A"
    spaced, bare = tok.convert_tokens_to_ids("▁A"), tok.convert_tokens_to_ids("A")
    assert medfr_forms(tok, "ABC").ids["A"] == tuple(sorted((spaced, bare)))
    assert authors_forms(tok, "ABC").ids["A"] == (spaced,)
