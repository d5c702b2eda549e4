"""Constrained decoding of one item by each rule, written out plainly with transformers.

The reference the lm-eval runs of ``medfr-hf`` are compared with, item by
item. It restates each rule from its description (the README's MCQ section;
the authors' released ``eval.py``), with its own token sets, one
``model.generate`` call per item (batch of one, no lm-eval), a mask processor
and the strict parser.
"""

from __future__ import annotations

from dataclasses import dataclass

from medfr_eval.mcq.parse import parse_answer


@dataclass
class Decoded:
    text: str
    letters: list[str]
    fallback: bool
    class_probs: dict[str, float]  # first-step softmax over the letter tokens, per letter


def _enc(tok, text: str) -> list[int]:
    return tok(text, add_special_tokens=False)["input_ids"]


def authors_token_sets(tok, letters, multi: bool):
    """Token -> letter, the allowed set and the stop tokens, as the authors' eval.py builds them."""
    letter_of = {_enc(tok, s)[-1]: x for x in letters for s in (x, " " + x)}
    seps = {_enc(tok, s)[-1] for s in (",", ", ", " ", ",\n")}
    ends = {tok.eos_token_id}
    for value in tok.special_tokens_map.values():
        if isinstance(value, str) and any(t in value.lower() for t in ("eos", "eot", "im_end")):
            ends.add(tok.convert_tokens_to_ids(value))
    allowed = set(letter_of) | ends | (seps if multi else set())
    return letter_of, allowed, allowed, [tok.eos_token_id]


def medfr_token_sets(tok, letters, multi: bool, generation_eos=()):
    """Token -> letter, the first-step and later allowed sets and the stop tokens of medfr's rule."""
    letter_of = {}
    for x in letters:
        for s in (x, " " + x):
            if len(_enc(tok, s)) == 1:
                letter_of[_enc(tok, s)[0]] = x
        letter_of[tok.convert_tokens_to_ids(x)] = x
    seps = {_enc(tok, s)[0] for s in (",", ", ", " ", "\n") if len(_enc(tok, s)) == 1}
    ends = {tok.eos_token_id, *generation_eos}
    for tid, added in tok.added_tokens_decoder.items():
        low = added.content.lower()
        if added.special and any(t in low for t in ("eos", "eot", "im_end", "end_of_turn")):
            ends.add(tid)
    first = set(letter_of)
    return letter_of, first, (first | seps | ends) if multi else first, sorted(ends)


def decode_item(model, tok, prompt: str, letters, multi: bool, rule: str, generation_eos=()):
    """Greedy constrained decoding of one prompt by ``rule``, parsed as the rule reads it."""
    import torch
    from transformers import LogitsProcessor

    sets = authors_token_sets if rule == "authors" else medfr_token_sets
    args = (generation_eos,) if rule == "medfr" else ()
    letter_of, first, later, stops = sets(tok, letters, multi, *args)
    ids = torch.tensor([_enc(tok, prompt)])
    n = ids.shape[1]

    class Mask(LogitsProcessor):
        def __call__(self, input_ids, scores):
            keep = sorted(first if input_ids.shape[1] == n else later)
            out = torch.full_like(scores, float("-inf"))
            out[:, keep] = scores[:, keep]
            return out

    with torch.no_grad():
        out = model.generate(
            ids,
            do_sample=False,
            max_new_tokens=2 * len(letters) if multi else 1,
            eos_token_id=stops,
            pad_token_id=tok.pad_token_id,
            logits_processor=[Mask()],
            output_scores=True,
            return_dict_in_generate=True,
        )
    text = tok.decode(out.sequences[0, n:], skip_special_tokens=True)
    if rule == "medfr" and multi:
        text = text.split("\n")[0]  # the newline ends a multi-answer answer
    order = sorted(letter_of)
    class_probs: dict[str, float] = {}
    for tid, p in zip(order, torch.softmax(out.scores[0][0, order], dim=-1).tolist()):
        class_probs[letter_of[tid]] = class_probs.get(letter_of[tid], 0.0) + p
    parsed = parse_answer(text, letters, multi=multi)
    fallback = False
    if parsed is None and not multi:
        parsed, fallback = [max(class_probs, key=class_probs.get)], True
    return Decoded(text, parsed or [], fallback, class_probs)
