"""The translation gap on a model page: French against English on the same items, per set.

A run that evaluated the 10 translated sets also in English (``medfr_en_<set>``,
the originals of the same records, same doc ids) shows, per set, the French and
the English score, the gap (French minus English, ``medfr-signif``'s sign: a
positive gap means the model does better in French) and its 95% interval.

The interval comes from ``medfr-signif --translation-gap`` when the given
``signif.json`` has it (corrected for the run's multiple tests, with a decision);
otherwise the board pairs both logs itself with the very code ``medfr-signif``
uses (:func:`medfr_eval.signif.gap.pair_twins`, then the paired bootstrap of
:mod:`medfr_eval.signif.bootstrap`, fixed seed, 95% unadjusted), so a page never
needs a signif file to show the gap and both tools agree on the pairing.
"""

from __future__ import annotations

from medfr_eval.lmeval_output import english_task, translated_tasks
from medfr_eval.signif import bootstrap as bs
from medfr_eval.signif.gap import pair_twins

from .collect import Run

RESAMPLES = 10_000  # as the board's own score intervals
LEVEL = 0.95


def _from_signif(signif: dict | None, aliases: set[str], task: str) -> dict | None:
    for g in (signif or {}).get("translation_gap", []):
        if isinstance(g, dict) and g.get("model") in aliases and g.get("task") == task:
            nums = [g.get(k) for k in ("gap", "ci_low", "ci_high")]
            if all(isinstance(v, int | float) and not isinstance(v, bool) for v in nums):
                return g
    return None


def _no_warning(message: str) -> None:
    """Strict pairing: a mismatch raises before any warning could be needed."""


def translation_gap(
    run: Run, signif: dict | None = None, aliases: set[str] = frozenset()
) -> list[dict]:
    """Per translated set logged in French and English by ``run``: scores, gap, interval."""
    out = []
    for task in translated_tasks():
        fr, en = run.tasks.get(task), run.tasks.get(english_task(task))
        if fr is None or en is None or fr.score is None or en.score is None:
            continue
        row = {"set": task.removeprefix("medfr_"), "task": task, "fr": fr.score, "en": en.score,
               "gap": fr.score - en.score, "n": None, "ci_low": None, "ci_high": None,
               "decision": None, "ci_source": None}  # fmt: skip
        given = _from_signif(signif, aliases, task)
        if given is not None:
            row.update(gap=float(given["gap"]), ci_low=float(given["ci_low"]),
                       ci_high=float(given["ci_high"]), ci_source="medfr-signif",
                       decision=given.get("decision") if given.get("decision") in
                       ("win", "tie", "loss") else None,
                       n=given.get("n") if isinstance(given.get("n"), int) else None)  # fmt: skip
        elif fr.log is not None and en.log is not None:
            a, b = pair_twins(fr.log, en.log, lenient=False, warn=_no_warning)
            dist = bs.bootstrap_distribution(
                a, b, resamples=RESAMPLES, seed=bs.make_rng(0, "gap", task)
            )
            lo, hi = dist.interval(LEVEL)
            row.update(gap=dist.estimate, ci_low=lo, ci_high=hi, ci_source="bootstrap",
                       decision=bs.decide(lo, hi), n=dist.n)  # fmt: skip
        out.append(row)
    return out
