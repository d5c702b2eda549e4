"""Pairing two models' logs of one set item by item, refusing what cannot be paired.

Items are aligned by ``doc_id``; both logs must hold the same documents, targets
and (unless told otherwise) prompts, checked through the sha256 hashes lm-eval
logs per item.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from medfr_eval.core.errors import SignifError, refuse_or_warn
from medfr_eval.lmeval_output import SampleLog

Warn = Callable[..., None]


def _ignore(message: str, *args: object) -> None:
    pass


def _hash_mismatches(
    la: SampleLog, lb: SampleLog, sa: np.ndarray, sb: np.ndarray, check_prompts: bool
) -> list[tuple[str, list[int]]]:
    """Per hash key, the positions (in the common items) where both logs differ."""
    checks = [
        ("doc_hash", la.doc_hashes, lb.doc_hashes),
        ("target_hash", la.target_hashes, lb.target_hashes),
    ]
    if check_prompts:
        checks.append(("prompt_hash", la.prompt_hashes, lb.prompt_hashes))
    out = []
    for key, ha, hb in checks:
        xa = [ha[i] for i in sa]
        xb = [hb[i] for i in sb]
        if xa == xb:  # the usual case, checked at C speed
            continue
        diff = [
            k for k, (x, y) in enumerate(zip(xa, xb, strict=True))
            if x is not None and y is not None and x != y
        ]  # fmt: skip
        if diff:
            out.append((key, diff))
    return out


def common_doc_ids(
    la: SampleLog,
    lb: SampleLog,
    where: str,
    *,
    lenient: bool,
    warn: Warn,
    sides: tuple[str, str] = ("the first", "the second"),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The doc ids both logs hold and their positions in each (``np.intersect1d``).

    Logs that do not cover the same doc ids are refused, or with ``lenient``
    paired on the ids they share; ``sides`` names the logs in the message."""
    common, sa, sb = np.intersect1d(la.doc_ids, lb.doc_ids, assume_unique=True, return_indices=True)
    if common.size != la.n or common.size != lb.n:
        only_a = np.setdiff1d(la.doc_ids, common).tolist()
        only_b = np.setdiff1d(lb.doc_ids, common).tolist()
        message = (
            f"{la.task}: the logs cover different doc ids ({len(only_a)} only in {sides[0]}, "
            f"e.g. {only_a[:3]}; {len(only_b)} only in {sides[1]}, e.g. {only_b[:3]})"
        )
        refuse_or_warn(
            SignifError(message, file=where, field="doc_id"),
            lenient=lenient,
            warn=warn,
            instead="using the common items",
        )
    return common, sa, sb


def pair_logs(
    la: SampleLog,
    lb: SampleLog,
    *,
    lenient: bool = False,
    check_prompts: bool = True,
    warn: Warn | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str] | None, np.ndarray]:
    """Align two models' logs of one set by ``doc_id``; refuse what cannot be paired.

    Returns both value vectors in increasing doc id order, the cluster labels
    (or None) and the doc ids kept. Both logs must cover the same doc ids with
    the same document, target and (unless ``check_prompts`` is off) prompt
    hashes; with ``lenient`` mismatches are warned about and the comparison runs
    on the intersection.
    """
    warn = warn or _ignore
    where = f"{la.path} vs {lb.path}"
    common, sa, sb = common_doc_ids(la, lb, where, lenient=lenient, warn=warn)
    bad = np.zeros(common.size, dtype=bool)
    for key, diff in _hash_mismatches(la, lb, sa, sb, check_prompts):
        hint = (
            " (--ignore-prompt-hash if only the chat template differs)"
            if key == "prompt_hash"
            else ""
        )
        message = (
            f"{la.task}: {len(diff)} of {common.size} items differ in {key}, first doc_id "
            f"{int(common[diff[0]])}{hint}"
        )
        refuse_or_warn(
            SignifError(message, file=where, field=key),
            lenient=lenient,
            warn=warn,
            instead="those items dropped",
        )
        bad[diff] = True
    if bad.all():
        raise SignifError(f"{la.task}: no item in common to compare", file=where, field="doc_id")
    keep, sa, sb = common[~bad], sa[~bad], sb[~bad]
    clusters = None
    if la.clusters is not None and lb.clusters is not None:
        clusters = [la.clusters[i] for i in sa]
    return la.values[sa], lb.values[sb], clusters, keep
