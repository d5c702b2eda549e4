"""Judging a list of items: cache first, then the judge for what is new.

Shared by the lm-eval filter, the benchmark and anyone calling medfr from
Python. Verdicts are written to the cache as they arrive (from this thread
only), so an interrupted run loses nothing it already paid for.
"""

from __future__ import annotations

from dataclasses import dataclass

from medfr_eval.judge.cache import VerdictCache, verdict_key
from medfr_eval.judge.config import JudgeConfig
from medfr_eval.judge.prompt import JudgeTemplate, load_template
from medfr_eval.judge.verdict import Verdict, make_verdict


@dataclass(frozen=True)
class JudgeItem:
    """What the judge sees: the question (with its clinical case, if any), the candidate, the reference."""

    question: str
    answer: str
    reference: str
    context: str = ""

    @property
    def full_question(self) -> str:
        """The question as keyed in the cache: a case-based question includes its case."""
        return f"{self.context}\n\n{self.question}" if self.context else self.question


def make_backend(config: JudgeConfig):
    """The endpoint client when a URL is set, else the local model."""
    if config.url:
        from medfr_eval.judge.client import EndpointJudge

        return EndpointJudge(config)
    from medfr_eval.judge.local import LocalJudge

    return LocalJudge(config)


class Judge:
    """A configured judge with its template, backend (created on first need) and cache."""

    def __init__(
        self, config: JudgeConfig, template: JudgeTemplate | None = None, backend=None
    ) -> None:
        self.config = config
        self.template = template or load_template(config.prompt_dir)
        self.identity = config.identity(self.template.sha256)
        self._backend = backend

    @property
    def backend(self):
        if self._backend is None:
            self._backend = make_backend(self.config)
        return self._backend

    def judge(self, items: list[JudgeItem]) -> list[Verdict]:
        """One verdict per item, in order; known triples come from the cache, never re-asked."""
        keys = [
            verdict_key(self.identity, it.full_question, it.answer, it.reference) for it in items
        ]
        cache = VerdictCache(self.config.cache_path) if self.config.cache_path else None
        try:
            known = cache.get_many(keys) if cache is not None else {}
            verdicts: list[Verdict | None] = [
                make_verdict(known[k], cached=True) if k in known else None for k in keys
            ]
            # identical triples inside one run are asked once too
            todo: dict[str, int] = {}
            for i, key in enumerate(keys):
                if verdicts[i] is None and key not in todo:
                    todo[key] = i
            firsts = list(todo.values())
            prompts = [
                self.template.render(
                    items[i].question, items[i].answer, items[i].reference, items[i].context
                )
                for i in firsts
            ]
            answered: dict[str, str] = {}
            if prompts:
                for j, raw in self.backend.ask_many(prompts):
                    key = keys[firsts[j]]
                    answered[key] = raw
                    if cache is not None:
                        cache.put(key, self.identity, raw)
            return [
                v if v is not None else make_verdict(answered[k]) for v, k in zip(verdicts, keys)
            ]
        finally:
            if cache is not None:
                cache.close()
