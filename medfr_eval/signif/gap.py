"""The translation gap: one model's French score minus its English score on the same items.

The 10 translated sets are logged twice by one run, ``medfr_<set>`` (French) and
``medfr_en_<set>`` (the English originals, same doc ids and item identifiers).
Pairing both logs by ``doc_id`` gives per-item differences on the *same* items, so
the paired bootstrap of :mod:`.bootstrap` applies as between two models.

The gaps of *every* run in the report form one family of tests, corrected together
(``m_translation_gap`` = runs x sets logged in both languages, e.g. 40 for four runs
of the 10 sets), as the model grid corrects over all its pairs: the report states
all these decisions at once, so its family-wise error is controlled over all of
them, not run by run. The decision is the paired bootstrap's whatever ``--test``
(each row says ``"test": "bootstrap"``): the gap answers a different question from
the model grid and keeps the study's test. A positive gap means the model does
better in French; ``decision`` reads from the French side (``win``: French better).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from medfr_eval import lmeval_output as lo
from medfr_eval.core.errors import SignifError, refuse_or_warn
from medfr_eval.core.sets import BY_TASK
from medfr_eval.lmeval_output import SampleLog

from . import bootstrap as bs
from .corrections import decide
from .pairing import common_doc_ids
from .runs import Run


def pair_twins(
    fr: SampleLog, en: SampleLog, *, lenient: bool, warn: Callable[[str], None]
) -> tuple[np.ndarray, np.ndarray]:
    """French and English values on their common doc ids, checking item identifiers."""
    where = f"{fr.path} vs {en.path}"
    common, sf, se = common_doc_ids(
        fr, en, where, lenient=lenient, warn=warn, sides=("French", "English")
    )
    keep = np.ones(common.size, dtype=bool)
    if fr.item_ids is not None and en.item_ids is not None:
        for k, (i, j) in enumerate(zip(sf, se, strict=True)):
            a, b = fr.item_ids[i], en.item_ids[j]
            if a is not None and b is not None and a != b:
                message = (
                    f"{fr.task}: doc_id {int(common[k])} is item {a!r} in French and {b!r} in "
                    "English: the twin tasks do not hold the same items in the same order"
                )
                refuse_or_warn(
                    SignifError(message, file=where, field="doc.id"),
                    lenient=lenient,
                    warn=warn,
                    instead="item dropped",
                )
                keep[k] = False
    if not keep.any():
        raise SignifError(f"{fr.task}: no item in common", file=where, field="doc_id")
    return fr.values[sf[keep]], en.values[se[keep]]


def translation_gaps(
    runs: Sequence[Run],
    *,
    resamples: int,
    alpha: float,
    correction: str,
    seed: int,
    lenient: bool,
    warn: Callable[[str], None],
) -> list[dict]:
    """Per run and translated set logged in both languages: the gap and its test.

    All runs' gaps are corrected together, as one family (module docstring)."""
    rows, dists = [], []
    for run in runs:
        for task in lo.translated_tasks():
            if task not in run.tasks or task not in run.twins:
                continue
            fr, en = pair_twins(run.tasks[task], run.twins[task], lenient=lenient, warn=warn)
            dists.append(
                bs.bootstrap_distribution(
                    fr, en, resamples=resamples, seed=bs.make_rng(seed, "gap", run.name, task)
                )
            )
            rows.append((run, task, fr, en))
    if not rows:
        raise SignifError(
            "no translated set logged in both French (medfr_<set>) and English "
            "(medfr_en_<set>) for the same run; run lm_eval with --tasks medfr_en as well",
            field="--translation-gap",
        )
    results, adjusted = decide(dists, None, alpha, correction)
    return [
        {
            "model": run.name,
            "task": task,
            "task_en": lo.english_task(task),
            "set": BY_TASK[task].name,
            "metric": BY_TASK[task].metric,
            "n": int(fr.size),
            "score_fr": float(fr.mean()),
            "score_en": float(en.mean()),
            "gap": r.estimate,
            **r.verdict_json(pa),
            "test": "bootstrap",
        }
        for (run, task, fr, en), r, pa in zip(rows, results, adjusted, strict=True)
    ]
