"""``--model medfr-vllm``: lm-eval's vLLM model with letter-constrained decoding.

vLLM's documented ``SamplingParams.allowed_token_ids`` (a whitelist applied
at every step) does the masking: letters for single-answer items; letters,
separators and EOS for multi-answer items (vLLM applies one list to all steps,
so unlike the HF path a multi-answer answer may start with a separator, which
the strict parser then reads as usual). First-step letter probabilities come
from ``SamplingParams.logprobs`` (top :data:`TOP_LOGPROBS` of the step,
computed by vLLM before the whitelist in its default ``raw_logprobs`` mode):
letters outside that top list get probability 0 after renormalisation.

vLLM is not a dependency of medfr. Without it, or with a build whose
``SamplingParams`` lacks ``allowed_token_ids``, the class refuses in one line
before any model loads.
"""

from __future__ import annotations

import math

from lm_eval.models.vllm_causallms import VLLM

from medfr_eval.errors import MedfrError
from medfr_eval.mcq.generation import MEDFR_KEYS, MedfrGenerationMixin

TOP_LOGPROBS = 20


def check_vllm() -> None:
    """vLLM importable and its ``SamplingParams`` has ``allowed_token_ids`` and ``logprobs``."""
    try:
        from vllm import SamplingParams
    except ImportError as exc:
        raise MedfrError(
            f"--model medfr-vllm needs vLLM (pip install vllm): {exc}", field="model"
        ) from exc
    import inspect

    fields = set(getattr(SamplingParams, "__struct_fields__", ()))
    try:
        fields |= set(inspect.signature(SamplingParams).parameters)
    except (TypeError, ValueError):
        pass
    missing = [f for f in ("allowed_token_ids", "logprobs") if f not in fields]
    if missing:
        raise MedfrError(
            f"this vLLM build's SamplingParams has no {', '.join(missing)}; constrained "
            f"decoding needs a vLLM with allowed_token_ids (0.6 or later)",
            field="model",
        )


def first_step_letters(output, forms) -> dict[str, float] | None:
    """Letter log-probabilities at step 1 from a vLLM ``RequestOutput`` (None when not returned)."""
    steps = output.outputs[0].logprobs
    if not steps:
        return None
    step = steps[0]
    row = {}
    for letter, ids in forms.ids.items():
        values = [step[i].logprob for i in ids if i in step]
        if values:
            top = max(values)
            row[letter] = top + math.log(sum(math.exp(v - top) for v in values))
    return row


class MedfrVLLM(MedfrGenerationMixin, VLLM):
    """VLLM whose MCQ generation is whitelisted to letters and logs first-step letter probabilities."""

    def __init__(self, *args, **kwargs) -> None:
        check_vllm()  # before the engine loads any weights
        super().__init__(*args, **kwargs)

    def modify_gen_kwargs(self, gen_kwargs, eos=None, default_max_gen_toks: int = 256):
        gen_kwargs = {k: v for k, v in gen_kwargs.items() if k not in MEDFR_KEYS}
        kwargs, until, max_gen_toks = VLLM.modify_gen_kwargs(
            gen_kwargs, eos=eos, default_max_gen_toks=default_max_gen_toks
        )
        plan = self._medfr_plan
        if plan is not None:
            forms = self._medfr_forms(plan.letters)
            kwargs["logprobs"] = max(int(kwargs.get("logprobs") or 0), TOP_LOGPROBS)
            if plan.mode == "constrained":
                kwargs["allowed_token_ids"] = forms.allowed(plan.multi, first_step=not plan.multi)
        return kwargs, until, max_gen_toks

    def _model_generate(self, *args, **kwargs):
        out = super()._model_generate(*args, **kwargs)
        plan = self._medfr_plan
        if plan is not None and kwargs.get("generate", args[1] if len(args) > 1 else False):
            forms = self._medfr_forms(plan.letters)
            self._medfr_rows.extend(first_step_letters(o, forms) for o in out)
        return out
