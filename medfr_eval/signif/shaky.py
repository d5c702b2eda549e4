"""Warnings where the numbers of a ``medfr-signif`` run are shaky, in words a reader can act on.

Each warning is a dict ``{"kind", "message"}`` kept in ``signif.json`` (so the board
can flag the result), printed, and listed in ``signif.md``. Kinds:

* ``resamples``: a percentile interval at level ``1 - alpha/m`` reads its bounds from
  the ``R alpha / (2m)`` most extreme resamples of each tail; below about 20 the
  bound is the noise of a handful of draws (10,000 resamples over the study's 165
  comparisons leave 1.5 per tail). The message says which ``--resamples`` gives 20.
* ``clusters``: a cluster bootstrap over fewer than about 20 clusters underestimates
  the spread (the interval is anti-conservative: too narrow, too many wins).
* ``lenient``: ``--lenient`` dropped items, so a score is over fewer items than the set.
* ``settings``: two runs compared although they were scored under different settings.
* ``reading`` / ``pairing``: problems met while reading or pairing logs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: Fewer resamples than this in one tail of a corrected interval: say so.
MIN_TAIL_RESAMPLES = 20
#: A cluster bootstrap over fewer clusters than this: say so.
MIN_CLUSTERS = 20


def warning(kind: str, message: str) -> dict:
    return {"kind": kind, "message": message}


def tail_warning(resamples: int, alpha: float, m: int, correction: str) -> dict | None:
    """``resamples`` warning when a tail of the most corrected interval is too thin."""
    per = alpha / 2.0 if correction == "none" else alpha / (2.0 * m)
    tail = resamples * per
    if m < 1 or tail >= MIN_TAIL_RESAMPLES:
        return None
    need = math.ceil(MIN_TAIL_RESAMPLES / per)
    level = "1 - alpha" if correction == "none" else f"1 - alpha/m (m = {m})"
    return warning(
        "resamples",
        f"each tail of an interval at level {level} holds {tail:.1f} of the {resamples} "
        f"resamples (fewer than {MIN_TAIL_RESAMPLES}): its bounds are noisy; "
        f"--resamples {need} would leave {MIN_TAIL_RESAMPLES} per tail",
    )


def cluster_warnings(rows: Sequence[tuple[str, str, int]]) -> list[dict]:
    """``clusters`` warnings for (what, task, n_clusters) rows under :data:`MIN_CLUSTERS`."""
    out = []
    for what, task, g in rows:
        if g < MIN_CLUSTERS:
            out.append(
                warning(
                    "clusters",
                    f"{what}, {task}: cluster bootstrap over {g} clusters only (fewer than "
                    f"{MIN_CLUSTERS}): the interval is anti-conservative (too narrow); "
                    "read its decision with caution or compare on more cases",
                )
            )
    return out
