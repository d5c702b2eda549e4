"""``--model medfr-hf``: lm-eval's HF model plus letter-constrained decoding and letter probabilities.

Registered lazily with lm-eval's model registry by :mod:`medfr_eval.autoload`
(no ``--include_path``, no import until lm-eval looks the name up). It is
``HFLM`` in every respect (same arguments, same log-likelihood path); only
``generate_until`` on medfr MCQ docs changes (:mod:`medfr_eval.mcq.generation`).

On those requests ``generate`` is also asked for ``output_logits`` (the raw
logits of each step, before any processor) and ``output_scores`` (after the
generation config's processors, e.g. ``repetition_penalty``, and our mask):
the first step of each gives the letter log-probabilities, with no extra
forward pass. The raw ones are what restricted scoring reads, so they are the
ones the calibration metrics use; the processed ones are what greedy decoding
chose from, and the single-answer fallback uses them.
"""

from __future__ import annotations

from lm_eval.models.huggingface import HFLM
from transformers import LogitsProcessorList

from medfr_eval.mcq.constrained import LetterMask, letter_logprob_rows
from medfr_eval.mcq.generation import MEDFR_KEYS, MedfrGenerationMixin


class MedfrHFLM(MedfrGenerationMixin, HFLM):
    """HFLM whose generation records first-step letter probabilities and can mask to letters."""

    def _medfr_generation_eos(self):
        """The EOS ids of the model's generation config (an int, a list or None)."""
        return getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)

    def _model_generate(self, context, max_length, stop, **generation_kwargs):
        for key in MEDFR_KEYS:
            generation_kwargs.pop(key, None)
        plan = self._medfr_plan
        if plan is None:
            return super()._model_generate(context, max_length, stop, **generation_kwargs)
        forms = self._medfr_forms(plan.letters, plan.rule)
        processors = LogitsProcessorList(generation_kwargs.pop("logits_processor", None) or [])
        if plan.mode == "constrained":
            processors.append(LetterMask(forms, plan.multi, context.shape[1]))
        if forms.stops:
            generation_kwargs["eos_token_id"] = list(forms.stops)
        out = super()._model_generate(
            context,
            max_length,
            stop,
            logits_processor=processors,
            output_logits=True,
            output_scores=True,
            return_dict_in_generate=True,
            **generation_kwargs,
        )
        raw = letter_logprob_rows(out.logits[0], forms)
        decoding = letter_logprob_rows(out.scores[0], forms)
        self._medfr_rows.extend(zip(raw, decoding))
        return out.sequences
