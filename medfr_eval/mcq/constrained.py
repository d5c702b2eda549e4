"""The letter mask of constrained decoding and the first-step letter log-probabilities (HF backend).

Which ids are letters, separators and ends comes from :mod:`medfr_eval.mcq.tokens`
(one rule or the other); this module applies them to torch tensors.
transformers' ``LogitsProcessor`` is the library's hook for masking, so the
HF path uses it; vLLM gets the same token lists as
``SamplingParams.allowed_token_ids`` (:mod:`medfr_eval.mcq.vllm_support`).

A letter none of whose forms is a single token cannot be masked to one step;
:func:`medfr_eval.mcq.tokens.medfr_forms` reports it, and the model class then
falls back to scoring each answer by the sum of its tokens' log-probabilities
(the restricted scoring), with a warning in the log.
"""

from __future__ import annotations

import torch
from transformers import LogitsProcessor

from medfr_eval.mcq.tokens import LetterForms

__all__ = ["LetterForms", "LetterMask", "letter_logprob_rows"]


def letter_logprob_rows(scores: torch.Tensor, forms: LetterForms) -> list[dict[str, float]]:
    """Per batch row, each letter's log-probability in one step's scores (its forms merged).

    ``scores`` is ``[batch, vocab]``: the raw logits of the first generated
    step (what restricted scoring reads too), or the scores after the
    generation config's processors (what greedy decoding chose from).
    """
    logp = torch.log_softmax(scores.float(), dim=-1)
    index = {letter: torch.tensor(ids, device=logp.device) for letter, ids in forms.ids.items()}
    return [
        {letter: float(torch.logsumexp(row[idx], dim=0)) for letter, idx in index.items()}
        for row in logp
    ]


class LetterMask(LogitsProcessor):
    """Keeps only the tokens the rule allows at each step (:meth:`LetterForms.allowed`)."""

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
