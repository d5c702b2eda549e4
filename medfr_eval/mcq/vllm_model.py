"""``--model medfr-vllm``: lm-eval's vLLM model with letter-constrained decoding.

See :mod:`medfr_eval.mcq.vllm_support` for how vLLM is used. Importing this
module checks vLLM first: lm-eval's vLLM module imports vLLM unguarded, and a
missing or too old vLLM must fail in one line, before any model loads.
"""

from __future__ import annotations

from medfr_eval.mcq.vllm_support import (
    check_vllm,
    first_step_letters,
    generation_eos,
    medfr_sampling_kwargs,
)

check_vllm()

from lm_eval.models.vllm_causallms import VLLM  # noqa: E402

from medfr_eval.mcq.generation import MEDFR_KEYS, MedfrGenerationMixin  # noqa: E402


class MedfrVLLM(MedfrGenerationMixin, VLLM):
    """VLLM whose MCQ generation is whitelisted to letters and logs first-step letter probabilities."""

    def _medfr_generation_eos(self):
        args = self.model_args
        return generation_eos(args["model"], args.get("revision"), self._config)

    def modify_gen_kwargs(self, gen_kwargs, eos=None, default_max_gen_toks: int = 256):
        gen_kwargs = {k: v for k, v in gen_kwargs.items() if k not in MEDFR_KEYS}
        kwargs, until, max_gen_toks = VLLM.modify_gen_kwargs(
            gen_kwargs, eos=eos, default_max_gen_toks=default_max_gen_toks
        )
        plan = self._medfr_plan
        if plan is not None:
            forms = self._medfr_forms(plan.letters, plan.rule)
            kwargs = medfr_sampling_kwargs(kwargs, plan, forms)
        return kwargs, until, max_gen_toks

    def _model_generate(self, *args, **kwargs):
        out = super()._model_generate(*args, **kwargs)
        plan = self._medfr_plan
        generate = kwargs.get("generate", args[1] if len(args) > 1 else False)
        if plan is not None and generate:
            forms = self._medfr_forms(plan.letters, plan.rule)
            self._medfr_rows.extend((first_step_letters(o, forms), None) for o in out)
        return out
