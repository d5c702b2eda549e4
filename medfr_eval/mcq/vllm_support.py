"""What ``--model medfr-vllm`` needs from vLLM, in functions testable without vLLM.

vLLM's documented ``SamplingParams.allowed_token_ids`` (a whitelist applied
at every step) does the masking: letters for single-answer items; letters,
separators and end tokens for multi-answer items (vLLM applies one list to all
steps, so under the ``medfr`` rule, unlike the HF path, a multi-answer answer
may start with a separator or stop at once, which the strict parser then reads
as usual; the ``authors`` rule is one list for all steps anyway).
``SamplingParams.stop_token_ids`` gets the rule's end tokens. First-step letter
probabilities come from ``SamplingParams.logprobs`` (the top
:data:`TOP_LOGPROBS` of the step, computed by vLLM from the raw logits, before
penalties and the whitelist, in its default ``raw_logprobs`` mode; the scores
decoding chose from are not recorded, so the single-answer fallback uses the
raw ones): letters outside that top list get probability 0
after renormalisation, and the item's ``letter_note`` does not say so — the
top-20 of a 7B model at the answer step holds the letters in practice.

vLLM is not a dependency of medfr. Without it, or with a build whose
``SamplingParams`` lacks ``allowed_token_ids``, :func:`check_vllm` refuses in
one line; :mod:`medfr_eval.mcq.vllm_model` calls it before it even imports
lm-eval's vLLM module (which imports vLLM unguarded), so before any model loads.
"""

from __future__ import annotations

import inspect
import math

from medfr_eval.core.errors import MedfrError

TOP_LOGPROBS = 20
NEEDED = ("allowed_token_ids", "logprobs")


def sampling_fields(sampling_params_cls) -> set[str]:
    """Field names of vLLM's ``SamplingParams`` (a msgspec Struct; older builds a plain class)."""
    fields = set(getattr(sampling_params_cls, "__struct_fields__", ()))
    try:
        fields |= set(inspect.signature(sampling_params_cls).parameters)
    except (TypeError, ValueError):
        pass
    return fields


def check_vllm() -> None:
    """vLLM importable and its ``SamplingParams`` has ``allowed_token_ids`` and ``logprobs``."""
    try:
        from vllm import SamplingParams
    except ImportError as exc:
        raise MedfrError(
            f"--model medfr-vllm needs vLLM, which is not installed ({exc}); "
            f"pip install vllm, or use --model medfr-hf",
            field="model",
        ) from None
    missing = [f for f in NEEDED if f not in sampling_fields(SamplingParams)]
    if missing:
        raise MedfrError(
            f"this vLLM build's SamplingParams has no {', '.join(missing)}; constrained "
            f"decoding needs a vLLM with allowed_token_ids, or use --model medfr-hf",
            field="model",
        )


def medfr_sampling_kwargs(kwargs: dict, plan, forms) -> dict:
    """Add what a decoding plan needs to vLLM sampling kwargs: logprobs, stops, the whitelist.

    ``stop_token_ids``: the rule's end tokens (vLLM also stops at the
    tokenizer's EOS and, by default, at the generation config's EOS ids).
    """
    kwargs = dict(kwargs)
    kwargs["logprobs"] = max(int(kwargs.get("logprobs") or 0), TOP_LOGPROBS)
    stops = sorted(set(kwargs.get("stop_token_ids") or ()) | set(forms.stops))
    if stops:
        kwargs["stop_token_ids"] = stops
    if plan.mode == "constrained":
        kwargs["allowed_token_ids"] = forms.allowed(plan.multi, first_step=not plan.multi)
    return kwargs


def generation_eos(model: str, revision: str | None = None, config=None):
    """The generation-config EOS ids of a model folder or hub id (already downloaded by vLLM).

    Without a ``generation_config.json``, the model config's ``eos_token_id``
    (transformers derives the generation config from it the same way).
    """
    from transformers import GenerationConfig

    try:
        return GenerationConfig.from_pretrained(model, revision=revision).eos_token_id
    except OSError:
        return getattr(config, "eos_token_id", None)


def first_step_letters(output, forms) -> dict[str, float] | None:
    """Letter log-probabilities at step 1 from a vLLM ``RequestOutput`` (None when not returned).

    ``output.outputs[0].logprobs`` is a list (one per generated token) of dicts
    token id -> ``Logprob`` (with ``.logprob``), as vLLM documents it.
    """
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
