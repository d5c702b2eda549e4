"""``--model medfr-hf``: lm-eval's HF model plus letter-constrained decoding and letter probabilities.

Registered lazily with lm-eval's model registry by :mod:`medfr_eval.autoload`
(no ``--include_path``, no import until lm-eval looks the name up). It is
``HFLM`` in every respect (same arguments, same log-likelihood path); only
``generate_until`` on medfr MCQ docs changes (:mod:`medfr_eval.mcq.generation`).
"""

from __future__ import annotations

from lm_eval.models.huggingface import HFLM
from transformers import LogitsProcessorList

from medfr_eval.mcq.constrained import FirstStepRecorder, LetterMask
from medfr_eval.mcq.generation import MEDFR_KEYS, MedfrGenerationMixin


class MedfrHFLM(MedfrGenerationMixin, HFLM):
    """HFLM whose generation records first-step letter probabilities and can mask to letters."""

    def _model_generate(self, context, max_length, stop, **generation_kwargs):
        for key in MEDFR_KEYS:
            generation_kwargs.pop(key, None)
        plan = self._medfr_plan
        if plan is None:
            return super()._model_generate(context, max_length, stop, **generation_kwargs)
        forms = self._medfr_forms(plan.letters)
        recorder = FirstStepRecorder(forms)
        processors = LogitsProcessorList(generation_kwargs.pop("logits_processor", None) or [])
        processors.insert(0, recorder)  # first: it must see the scores before any mask
        if plan.mode == "constrained":
            processors.append(LetterMask(forms, plan.multi, context.shape[1]))
        out = super()._model_generate(
            context, max_length, stop, logits_processor=processors, **generation_kwargs
        )
        self._medfr_rows.extend(recorder.rows)
        return out
