"""The judge as an lm-eval filter: a whole task's generations judged at once, after generation.

lm-eval calls ``process_results`` one document at a time; a filter sees every
response of a task (``Filter.apply(resps, docs)``), so :class:`JudgeFilter`
sends the whole task to the judge in one batched, concurrent call. It runs
after :class:`~medfr_eval.metrics.bertscore.BERTScoreFilter` in the same pipeline,
adding to each document's dict:

- ``judge``: 1, 0, or None when the verdict could not be parsed;
- ``judge_raw`` (what the judge said), ``judge_status`` (``ok``/``unparsable``),
  ``judge_cached``;
- ``judge_model``, ``judge_endpoint``, ``judge_template_sha256`` (its identity).

These land in lm-eval's sample log (``filtered_resps``). With no judge
configured the filter passes responses through untouched, so
``process_results`` reports no ``judge`` metric and nothing else changes.
"""

from __future__ import annotations

import logging

from lm_eval.api.filter import Filter

from medfr_eval.judge.config import JudgeConfig
from medfr_eval.judge.engine import Judge, JudgeItem
from medfr_eval.judge.verdict import UNPARSABLE
from medfr_eval.metrics.bertscore import clean_generation
from medfr_eval.metrics.bertscore import openqa_results as bertscore_results

log = logging.getLogger("medfr.judge")


def _answer(resp) -> tuple[dict, str]:
    if isinstance(resp, dict):
        return dict(resp), str(resp.get("answer", ""))
    text = clean_generation(resp[0] if isinstance(resp, (list, tuple)) else resp)
    return {"answer": text}, text


class JudgeFilter(Filter):
    """lm-eval filter: adds the LLM judge's verdict to each response (no-op without a judge)."""

    def __init__(
        self,
        reference_field: str = "answer",
        question_field: str = "question",
        context_fields: tuple[str, ...] | list[str] = ("case", "context"),
    ) -> None:
        super().__init__()
        self.reference_field = reference_field
        self.question_field = question_field
        self.context_fields = tuple(context_fields)

    def _context(self, doc: dict) -> str:
        """The clinical case or passage the question depends on: the first non-empty field."""
        for field in self.context_fields:
            if doc.get(field):
                return str(doc[field])
        return ""

    def apply(self, resps, docs):
        config = JudgeConfig.from_env()
        if config is None:
            return resps
        outs, items = [], []
        for resp, doc in zip(resps, docs, strict=True):
            out, answer = _answer(resp)
            outs.append(out)
            items.append(
                JudgeItem(
                    question=str(doc[self.question_field]),
                    answer=answer,
                    reference=str(doc[self.reference_field]),
                    context=self._context(doc),
                )
            )
        judge = Judge(config)
        verdicts = judge.judge(items)
        for out, verdict in zip(outs, verdicts, strict=True):
            out.update(
                judge=verdict.score,
                judge_raw=verdict.raw,
                judge_status=verdict.status,
                judge_cached=verdict.cached,
                **{f"judge_{k}": v for k, v in judge.identity.items()},
            )
        bad = sum(v.status == UNPARSABLE for v in verdicts)
        cached = sum(v.cached for v in verdicts)
        log.info(
            "judge %s: %d items, %d from cache", judge.identity["model"], len(verdicts), cached
        )
        if bad:
            log.warning("judge %s: %d of %d verdicts unparsable", config.model, bad, len(verdicts))
        return outs


def openqa_results(doc: dict, results: list[dict]) -> dict[str, float]:
    """``process_results`` for open QA: BERTScore, plus the judge when one ran.

    ``judge`` (0/1) is reported only for parsed verdicts; ``judge_unparsable``
    (0/1, summed per task) counts the others, so an unparsable verdict is
    neither a 0 nor a 1."""
    out = bertscore_results(doc, results)
    scored = results[0]
    if isinstance(scored, dict) and "judge_status" in scored:
        out["judge_unparsable"] = int(scored["judge_status"] == UNPARSABLE)
        if scored["judge"] is not None:
            out["judge"] = int(scored["judge"])
    return out


def total(items: list[float]) -> int:
    """Aggregation for ``judge_unparsable``: the count of unparsable verdicts in a task."""
    return int(sum(items))
