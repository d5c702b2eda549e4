"""``process_results`` of the MCQ tasks in every mode, and the parsing filter of the generation modes.

Restricted mode (``multiple_choice``): lm-eval hands us one log-likelihood per
choice; for single-answer sets these are the first-step log-probabilities of
" A" ... " E", so their softmax is the letter distribution with no extra
forward pass. Generation modes (``generate_until``): :class:`MCQParseFilter`
parses each generated text with the strict parser and keeps the raw text, the
parsed letters, ``parse_fail`` and the first-step letter probabilities that the
``medfr-hf`` / ``medfr-vllm`` model classes attach to the text, from the raw
logits (plain ``hf`` attaches none: then ``letter_probs`` is null and the
calibration metrics are absent). The filter's output is what lm-eval logs as ``filtered_resps``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from lm_eval.api.filter import Filter

from medfr_eval.core.sets import LETTERS
from medfr_eval.mcq.parse import parse_answer
from medfr_eval.mcq.permute import order_metrics
from medfr_eval.mcq.probs import renormalise, softmax
from medfr_eval.metrics.calibration import item_calibration
from medfr_eval.metrics.scoring import argmax, emr, hamming_score

log = logging.getLogger(__name__)


def doc_letters(doc: dict) -> list[str]:
    """The option letters of an MCQ doc, from its number of options."""
    return list(LETTERS[: len(doc["options"])])


def is_multi(doc: dict) -> bool:
    """Multi-answer docs list letter sets as choices (31 for 5 options), single-answer the letters."""
    return len(doc["choices"]) != len(doc["options"])


def gold_letters(doc: dict) -> list[str]:
    return doc["choices"][doc["gold"]].split()


def single_answer_results(doc: dict, results: Sequence[tuple[float, bool]]) -> dict:
    """Restricted single-answer: ``acc`` as lm-eval computes it, plus the calibration values."""
    lls = [ll for ll, _ in results]
    letters = doc["choices"]
    best = argmax(lls)
    pred, gold = letters[best], letters[doc["gold"]]
    out = {"acc": float(pred == gold)}
    out.update(item_calibration(dict(zip(letters, softmax(lls))), gold=gold, pred=pred))
    out.update(order_metrics(doc, best))
    return out


class MCQParseFilter(Filter):
    """Parse generated answers strictly; keep raw text, letters, ``parse_fail``, letter probabilities.

    ``letter_probs`` come from the raw first-step logits (comparable with
    restricted scoring; the calibration metrics use them);
    ``letter_probs_decoding`` from the scores greedy decoding chose from, after
    the generation config's processors such as ``repetition_penalty`` (HF
    backend; null elsewhere). ``constrained: true`` adds the 2026 protocol's
    fallback: a single-answer item that does not parse takes the most probable
    letter at the first step, of the decoding distribution where recorded (as
    the authors' code does), else of the raw one.
    """

    def __init__(self, constrained: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.constrained = bool(constrained)

    def apply(self, resps, docs):
        # One generation per item (greedy): keep the first, as lm-eval's take_first does.
        return [self._one(rs[0], doc) for rs, doc in zip(resps, docs)]

    def _one(self, text, doc: dict) -> dict:
        letters = doc_letters(doc)
        multi = is_multi(doc)
        parsed = parse_answer(str(text), letters, multi=multi)
        raw_lp = getattr(text, "letter_logprobs", None)
        probs = renormalise(raw_lp, letters) if raw_lp else None
        dec_lp = getattr(text, "decoding_logprobs", None)
        decoding = renormalise(dec_lp, letters) if dec_lp else None
        fallback = False
        chose_from = decoding or probs  # the distribution greedy decoding saw, where recorded
        if self.constrained and not multi and parsed is None and chose_from:
            parsed = [max(letters, key=lambda k: chose_from[k])]
            fallback = True
        return {
            "text": str(text),
            "letters": parsed or [],
            "parse_fail": parsed is None,
            "fallback": fallback,
            "letter_probs": probs,
            "letter_probs_decoding": decoding,
            "letter_note": getattr(text, "letter_note", None),
        }


def generated_results(doc: dict, results: Sequence[dict]) -> dict:
    """``process_results`` of ``_gen`` and ``_constrained`` tasks (after :class:`MCQParseFilter`).

    An unparsable answer is an empty prediction: wrong, Hamming 0.
    """
    (res,) = results
    gold = gold_letters(doc)
    pred = " ".join(res["letters"])
    out: dict = {"parse_fail": float(res["parse_fail"])}
    if is_multi(doc):
        exact = emr(pred, " ".join(gold)) if pred else 0.0
        out.update(
            acc=exact, emr=exact, hamming=hamming_score(pred, " ".join(gold)) if pred else 0.0
        )
    else:
        out["acc"] = float(res["letters"] == gold)
        letters = res["letters"]
        out.update(order_metrics(doc, LETTERS.index(letters[0]) if len(letters) == 1 else None))
    if res.get("letter_probs"):
        out.update(item_calibration(res["letter_probs"], gold=gold, pred=pred or None))
    return out
