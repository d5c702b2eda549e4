"""What the ``medfr-hf`` and ``medfr-vllm`` model classes add to lm-eval's generation.

For every ``generate_until`` request on one of our MCQ docs (it has
``options``, ``choices`` and ``gold``) the model class

- records the log-probability of each option letter at the first generated
  step (its forms merged), from the raw logits and, on the HF backend, also
  from the scores greedy decoding chose from (after the generation config's
  processors): no extra forward pass;
- stops at every end-of-answer token of :func:`medfr_eval.mcq.tokens.stop_token_ids`
  (tokenizer EOS, generation-config EOS ids, end-of-turn tokens);
- when the task asks for it (``medfr_decoding: constrained`` in its
  ``generation_kwargs``), masks decoding to the tokens of the constrained rule
  (``medfr_rule``: ``medfr`` or ``authors``, :mod:`medfr_eval.mcq.tokens`);

and returns each text as a :class:`LetterText`, a ``str`` that carries the
letter log-probabilities to :class:`medfr_eval.mcq.results.MCQParseFilter`.
Requests of other tasks go through untouched.

lm-eval batches and reorders requests inside ``generate_until``; the one
per-row callback it makes in row order is ``cache_hook.add_partial``, so the
recorded rows are matched to their prompt there (:class:`_Tap`), one decoding
plan at a time (a plan: mode, letters, single or multi, rule).
"""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from medfr_eval.core.errors import MedfrError
from medfr_eval.core.sets import LETTERS
from medfr_eval.mcq.modes import MODES
from medfr_eval.mcq.rules import check_rule
from medfr_eval.metrics.scoring import ANSWER_END

log = logging.getLogger(__name__)

MEDFR_KEYS = ("medfr_decoding", "medfr_rule")


class LetterText(str):
    """Generated text that also carries the first-step letter log-probabilities.

    ``letter_logprobs``: from the raw logits; ``decoding_logprobs``: from the
    scores greedy decoding chose from (HF backend; None where not recorded).
    """

    letter_logprobs: dict[str, float] | None
    decoding_logprobs: dict[str, float] | None
    letter_note: str | None

    def __new__(
        cls, text: str, letter_logprobs=None, letter_note=None, decoding_logprobs=None
    ) -> LetterText:
        obj = super().__new__(cls, text)
        obj.letter_logprobs = letter_logprobs
        obj.decoding_logprobs = decoding_logprobs
        obj.letter_note = letter_note
        return obj


@dataclass(frozen=True)
class Plan:
    mode: str  # "free" or "constrained"
    letters: tuple[str, ...]
    multi: bool
    rule: str = "medfr"  # constrained rule (medfr_eval.mcq.tokens.RULES); "medfr" in free mode


def is_mcq_doc(doc: Any) -> bool:
    return isinstance(doc, dict) and {"options", "choices", "gold"} <= set(doc)


def plan_for(request) -> Plan | None:
    """The decoding plan of one request, or None for requests that are not ours."""
    gen_kwargs = (request.args[1] if len(request.args) > 1 else None) or {}
    mode = gen_kwargs.get("medfr_decoding")
    doc = request.doc
    if mode is None and not is_mcq_doc(doc):
        return None
    mode = mode or "free"
    if mode not in MODES or mode == "restricted":
        raise MedfrError(
            f"unknown decoding mode {mode!r} (generation modes: free, constrained)",
            field="medfr_decoding",
        )
    if not is_mcq_doc(doc):
        raise MedfrError(
            f"task {request.task_name!r} asks for {mode} decoding but its docs are not medfr MCQ items",
            field="medfr_decoding",
        )
    letters = tuple(LETTERS[: len(doc["options"])])
    rule = check_rule(gen_kwargs.get("medfr_rule", "medfr")) if mode == "constrained" else "medfr"
    return Plan(mode, letters, len(doc["choices"]) != len(doc["options"]), rule)


class _Req:
    """The one attribute lm-eval's ``generate_until`` reads from a request."""

    def __init__(self, args: tuple) -> None:
        self.args = args


class _Tap:
    """Wraps the cache hook: its per-row ``add_partial`` tells which prompt a recorded row belongs to."""

    def __init__(self, hook, on_row) -> None:
        self._hook, self._on_row = hook, on_row

    def add_partial(self, attr: str, req, res) -> None:
        if attr == "generate_until":
            self._on_row(req[0])
        self._hook.add_partial(attr, req, res)

    def __getattr__(self, name: str):
        return getattr(self._hook, name)


class MedfrGenerationMixin:
    """Shared by the HF and vLLM classes; subclasses record rows into ``self._medfr_rows``."""

    _medfr_plan: Plan | None = None
    _medfr_warned: bool = False
    #: :data:`medfr_eval.mcq.modes.MEDFR_CONSTRAINED_ATTR`, read by ``check_run`` before a run
    medfr_decodes_constrained: bool = True

    def _medfr_generation_eos(self):
        """The model's generation-config EOS ids (subclasses read them from their backend)."""
        return None

    def _medfr_forms(self, letters, rule: str = "medfr"):
        from medfr_eval.mcq.tokens import forms_for

        cache = self.__dict__.setdefault("_medfr_forms_cache", {})
        if (letters, rule) not in cache:
            cache[letters, rule] = forms_for(
                rule, self.tokenizer, letters, self._medfr_generation_eos()
            )
        return cache[letters, rule]

    def generate_until(self, requests, disable_tqdm: bool = False):
        plans = [plan_for(r) for r in requests]
        groups: dict[Plan | None, list[int]] = defaultdict(list)
        for i, plan in enumerate(plans):
            groups[plan].append(i)
        out: list = [None] * len(requests)
        for plan, idx in groups.items():
            reqs = [requests[i] for i in idx]
            if plan is None:
                texts = super().generate_until(reqs, disable_tqdm)
            elif plan.mode == "constrained" and self._medfr_forms(plan.letters, plan.rule).split:
                texts = self._medfr_fallback(reqs, plan)
            else:
                texts = self._medfr_generate(reqs, plan, disable_tqdm)
            for i, text in zip(idx, texts):
                out[i] = text
        return out

    def _medfr_generate(self, reqs, plan: Plan, disable_tqdm: bool) -> list[LetterText]:
        forms = self._medfr_forms(plan.letters, plan.rule)
        note = (
            f"letters {', '.join(forms.split)} are not single tokens: their probability is 0"
            if forms.split
            else None
        )
        cleaned = []
        for r in reqs:
            context, kwargs = r.args[0], dict(r.args[1] or {})
            for key in MEDFR_KEYS:
                kwargs.pop(key, None)
            cleaned.append(_Req((context, kwargs)))
        self._medfr_rows: deque = deque()
        by_context: dict[str, tuple] = {}

        def on_row(context: str) -> None:
            # a row is (raw, decoding) letter log-probabilities; decoding None where not recorded
            by_context[context] = self._medfr_rows.popleft() if self._medfr_rows else (None, None)

        hook, self._medfr_plan = self.cache_hook, plan
        self.cache_hook = _Tap(hook, on_row)
        try:
            texts = super().generate_until(cleaned, disable_tqdm)
        finally:
            self.cache_hook, self._medfr_plan = hook, None
        out = []
        for t, r in zip(texts, cleaned):
            raw, decoding = by_context.get(r.args[0], (None, None))
            out.append(LetterText(t, raw, note, decoding))
        return out

    def _medfr_fallback(self, reqs, plan: Plan) -> list[LetterText]:
        """Letters that are not single tokens: score each answer by the sum of its tokens' log-probs."""
        from lm_eval.api.instance import Instance

        from medfr_eval.data.load import letter_sets

        split = ", ".join(self._medfr_forms(plan.letters, plan.rule).split)
        note = (
            f"letter(s) {split} are not single tokens in this tokenizer: constrained decoding "
            f"fell back to the summed log-probability of each answer's tokens"
        )
        if not self._medfr_warned:
            log.warning("medfr: %s", note)
            self._medfr_warned = True
        choices = letter_sets(len(plan.letters)) if plan.multi else list(plan.letters)
        end = ANSWER_END if plan.multi else ""
        instances = [
            Instance("loglikelihood", r.doc, (r.args[0], " " + c + end), i)
            for r in reqs
            for i, c in enumerate(choices)
        ]
        lls = [ll for ll, _ in self.loglikelihood(instances)]
        out = []
        for k in range(len(reqs)):
            scores = lls[k * len(choices) : (k + 1) * len(choices)]
            best = max(range(len(choices)), key=lambda i: (scores[i], -i))
            letter_lp = None if plan.multi else dict(zip(choices, scores))
            out.append(LetterText(" " + choices[best], letter_lp, note))
        return out
