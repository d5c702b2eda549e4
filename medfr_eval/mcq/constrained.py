"""Letter tokens and the logits processors of letter-constrained decoding (HF backend).

The 2026 protocol keeps, at each greedy step, only the letter tokens (both
"A" and " A" forms); multi-answer items also keep separators and the end of
sequence. transformers' ``LogitsProcessor`` is the library's hook for exactly
this, so the HF path uses it; vLLM gets the same token lists as
``SamplingParams.allowed_token_ids`` (:mod:`medfr_eval.mcq.model`).

A letter none of whose forms is a single token cannot be masked to one step;
:func:`letter_forms` reports it, and the model class then falls back to
scoring each answer by the sum of its tokens' log-probabilities (the restricted
scoring), with a warning in the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from transformers import LogitsProcessor

# Separators the constrained multi-answer decoding may emit between letters
# (the protocol's "," ", " " "); the newline is our end-of-answer marker, as
# in restricted scoring (medfr_eval.scoring.ANSWER_END), and stops generation.
SEPARATORS = (",", ", ", " ", "\n")


@dataclass(frozen=True)
class LetterForms:
    """Single-token ids per letter ("A" and " A" merged) and letters with no single-token form."""

    ids: dict[str, tuple[int, ...]]
    split: tuple[str, ...] = ()
    separators: tuple[int, ...] = ()
    eos: tuple[int, ...] = field(default=())

    def allowed(self, multi: bool, first_step: bool) -> list[int]:
        """Token ids allowed at a step: letters; for multi-answer after step 1 also separators and EOS."""
        ids = {i for forms in self.ids.values() for i in forms}
        if multi and not first_step:
            ids |= set(self.separators) | set(self.eos)
        return sorted(ids)


def _single(tokenizer, text: str) -> int | None:
    toks = tokenizer(text, add_special_tokens=False)["input_ids"]
    return toks[0] if len(toks) == 1 else None


def letter_forms(tokenizer, letters: Sequence[str]) -> LetterForms:
    """Find the single-token forms of each letter: "A", " A" and the vocabulary entry "A".

    SentencePiece tokenizers encode "A" alone as "▁A"; the bare piece "A"
    (which follows a colon with no space) is looked up in the vocabulary.
    """
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
    seps = {_single(tokenizer, s) for s in SEPARATORS} - {None}
    eos = tokenizer.eos_token_id
    eos_ids = tuple(eos) if isinstance(eos, (list, tuple)) else (() if eos is None else (eos,))
    return LetterForms(ids, tuple(split), tuple(sorted(seps)), eos_ids)


class FirstStepRecorder(LogitsProcessor):
    """Records, per row, the log-probability of each letter at the first generated step.

    It reads the scores before any masking (it comes first in the list) and
    changes nothing, so free and constrained generation log the same
    distribution and no forward pass is added.
    """

    def __init__(self, forms: LetterForms) -> None:
        self.forms = forms
        self.rows: list[dict[str, float]] = []
        self._done = False

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if not self._done:
            self._done = True
            logp = torch.log_softmax(scores.float(), dim=-1)
            for row in logp:
                self.rows.append(
                    {
                        letter: float(torch.logsumexp(row[list(ids)], dim=0))
                        for letter, ids in self.forms.ids.items()
                    }
                )
        return scores


class LetterMask(LogitsProcessor):
    """Keeps only the allowed tokens (letters; multi-answer: also separators and EOS after step 1)."""

    def __init__(self, forms: LetterForms, multi: bool, prompt_len: int) -> None:
        self.prompt_len = prompt_len
        self.first = torch.tensor(forms.allowed(multi, first_step=True))
        self.later = torch.tensor(forms.allowed(multi, first_step=False))

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        allowed = self.first if input_ids.shape[1] == self.prompt_len else self.later
        masked = torch.full_like(scores, float("-inf"))
        idx = allowed.to(scores.device)
        masked[:, idx] = scores[:, idx]
        return masked
