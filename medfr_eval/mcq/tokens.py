"""Which token ids are letters, separators and ends of an answer, under each constrained rule.

Two rules (:data:`medfr_eval.mcq.rules.RULES`), chosen with ``--metadata '{"medfr_constrained_rule": ...}'``
(:mod:`medfr_eval.mcq.rules`):

``medfr`` (default)
    Letters are every *single-token* form of the letter: the encodings of
    "A" and " A" when they are one token, and the vocabulary entry "A"
    (SentencePiece tokenizers encode "A" alone as "▁A", but a chat template's
    answer often starts with the bare piece). A letter with no single-token
    form is reported in ``split`` (the model class then scores whole answers).
    Separators: the single-token forms of "," ", " " " and the newline.
    The answer ends at any of :func:`stop_token_ids`: the tokenizer's EOS,
    the model's generation-config EOS ids, and the special tokens whose text
    holds ``eos``, ``eot``, ``im_end`` or ``end_of_turn`` (the turn end of
    instruct models: ``<|eot_id|>``, ``<|im_end|>``, Gemma's ``<end_of_turn>``).

``authors``
    The released code of the 2026 study (ikram28/MedAdapt, ``eval.py``):
    letters are the *last* token of the encodings of "A" and " A";
    separators the last token of "," ", " " " and ",\\n"; the tokens let
    through as ends are the tokenizer's EOS plus the *named* special tokens
    (``special_tokens_map``: eos, pad, ..., not the additional ones) whose
    text holds ``eos``, ``eot`` or ``im_end``; generation stops only at the
    tokenizer's EOS.

Pure functions of a tokenizer: no torch, no model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

END_TAGS = ("eos", "eot", "im_end", "end_of_turn")
AUTHORS_END_TAGS = ("eos", "eot", "im_end")
MEDFR_SEPARATORS = (",", ", ", " ", "\n")
AUTHORS_SEPARATORS = (",", ", ", " ", ",\n")


@dataclass(frozen=True)
class LetterForms:
    """The token ids one rule allows: letters ("A" and " A" merged), separators, ends.

    ``eos``: the end tokens the mask lets through; ``stop``: those that end
    generation (``None``: the same as ``eos``); ``split``: letters with no
    single-token form (``medfr`` rule only).
    """

    ids: dict[str, tuple[int, ...]]
    split: tuple[str, ...] = ()
    separators: tuple[int, ...] = ()
    eos: tuple[int, ...] = ()
    stop: tuple[int, ...] | None = None
    rule: str = "medfr"

    @property
    def stops(self) -> tuple[int, ...]:
        return self.eos if self.stop is None else self.stop

    def letter_ids(self) -> set[int]:
        return {i for forms in self.ids.values() for i in forms}

    def allowed(self, multi: bool, first_step: bool) -> list[int]:
        """Token ids allowed at a step of constrained decoding.

        ``medfr``: letters; multi-answer after the first step also separators
        and ends. ``authors``: the same set at every step, letters and ends,
        plus separators for multi-answer items.
        """
        ids = self.letter_ids()
        if self.rule == "authors":
            ids |= set(self.eos) | (set(self.separators) if multi else set())
        elif multi and not first_step:
            ids |= set(self.separators) | set(self.eos)
        return sorted(ids)


def id_list(value: Any) -> tuple[int, ...]:
    """A token id, a list of ids or None (as configs store ``eos_token_id``) as a tuple of ints."""
    if value is None:
        return ()
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, str):
        return tuple(v for v in value if isinstance(v, int) and not isinstance(v, bool))
    return ()


def _encode(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def _single(tokenizer, text: str) -> int | None:
    toks = _encode(tokenizer, text)
    return toks[0] if len(toks) == 1 else None


def _last(tokenizer, text: str) -> int | None:
    toks = _encode(tokenizer, text)
    return toks[-1] if toks else None


def _has_tag(text: str, tags: Sequence[str]) -> bool:
    low = text.lower()
    return any(tag in low for tag in tags)


def end_of_turn_ids(tokenizer, tags: Sequence[str] = END_TAGS) -> set[int]:
    """Ids of the special tokens (named or added as special) whose text holds one of ``tags``."""
    found = set()
    for tid, added in (getattr(tokenizer, "added_tokens_decoder", None) or {}).items():
        text = getattr(added, "content", str(added))
        if getattr(added, "special", False) and _has_tag(text, tags):
            found.add(int(tid))
    for text in getattr(tokenizer, "all_special_tokens", None) or ():
        if _has_tag(text, tags):
            tid = tokenizer.convert_tokens_to_ids(text)
            if isinstance(tid, int) and tid >= 0:
                found.add(tid)
    return found


def stop_token_ids(tokenizer, generation_eos: Any = None) -> tuple[int, ...]:
    """Tokens that end an answer: tokenizer EOS, generation-config EOS ids, end-of-turn tokens.

    An instruct model ends its turn with its chat template's end token, which
    is often not the tokenizer's EOS (``<|eot_id|>`` against
    ``<|end_of_text|>``); stopping only at the EOS would let it write to the
    token cap.
    """
    ids = set(id_list(tokenizer.eos_token_id)) | set(id_list(generation_eos))
    ids |= end_of_turn_ids(tokenizer)
    return tuple(sorted(ids))


def medfr_forms(tokenizer, letters: Sequence[str], generation_eos: Any = None) -> LetterForms:
    """The ``medfr`` rule's token ids (module docstring)."""
    ids: dict[str, tuple[int, ...]] = {}
    split = []
    unk = getattr(tokenizer, "unk_token_id", None)
    for letter in letters:
        found = {_single(tokenizer, letter), _single(tokenizer, " " + letter)}
        vocab_id = tokenizer.convert_tokens_to_ids(letter)
        if isinstance(vocab_id, int) and vocab_id != unk:
            found.add(vocab_id)
        found.discard(None)
        if found:
            ids[letter] = tuple(sorted(found))
        else:
            split.append(letter)
    seps = {_single(tokenizer, s) for s in MEDFR_SEPARATORS} - {None}
    stops = stop_token_ids(tokenizer, generation_eos)
    return LetterForms(ids, tuple(split), tuple(sorted(seps)), stops, stops, "medfr")


def authors_end_ids(tokenizer) -> tuple[int, ...]:
    """The ends the authors' mask lets through: EOS and tagged *named* special tokens."""
    ids = set(id_list(tokenizer.eos_token_id))
    for text in (getattr(tokenizer, "special_tokens_map", None) or {}).values():
        if isinstance(text, str) and _has_tag(text, AUTHORS_END_TAGS):
            tid = tokenizer.convert_tokens_to_ids(text)
            if isinstance(tid, int) and tid >= 0:
                ids.add(tid)
    return tuple(sorted(ids))


def authors_forms(tokenizer, letters: Sequence[str]) -> LetterForms:
    """The ``authors`` rule's token ids (module docstring)."""
    ids: dict[str, tuple[int, ...]] = {}
    for letter in letters:
        found = {_last(tokenizer, letter), _last(tokenizer, " " + letter)} - {None}
        if found:
            ids[letter] = tuple(sorted(found))
    seps = {_last(tokenizer, s) for s in AUTHORS_SEPARATORS} - {None}
    stop = id_list(tokenizer.eos_token_id)
    return LetterForms(ids, (), tuple(sorted(seps)), authors_end_ids(tokenizer), stop, "authors")


def forms_for(
    rule: str, tokenizer, letters: Sequence[str], generation_eos: Any = None
) -> LetterForms:
    """The token ids of ``letters`` under ``rule`` (``medfr`` or ``authors``)."""
    if rule == "authors":
        return authors_forms(tokenizer, letters)
    return medfr_forms(tokenizer, letters, generation_eos)
