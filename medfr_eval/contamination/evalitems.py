"""The text of every evaluation item, as the contamination check compares it.

An item is checked on everything a model could have memorised: the context
(PubMedQA's abstract, FrClinicalQA's case), the question followed by its
options in prompt order, and the reference answer of open questions. Each of
these is one segment: an n-gram never spans two segments, as it never spans two
training documents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import GROUPS, SETS, EvalSet, get_set


@dataclass(frozen=True)
class EvalItem:
    """One evaluation item: its set, its id and the segments to check."""

    set_name: str
    id: str
    segments: tuple[str, ...]


def item_segments(es: EvalSet, rec: dict) -> tuple[str, ...]:
    """Context, question (with the options, as the prompt shows them) and reference answer."""
    segments: list[str] = []
    for key in ("case", "context"):
        if rec.get(key):
            segments.append(rec[key])
    question = rec["question"]
    if rec.get("options"):
        question = question + "\n" + "\n".join(rec["options"])
    segments.append(question)
    if es.kind in ("openqa", "openqa_case") and rec.get("answer"):
        segments.append(rec["answer"])
    return tuple(segments)


def resolve_sets(names: Iterable[str] | None) -> list[EvalSet]:
    """Sets named by set name, task name or group name (``medfr_all``, ``medfr_openqa``...)."""
    if not names:
        return list(SETS)
    chosen: dict[str, EvalSet] = {}
    for raw in names:
        for name in (p.strip() for p in raw.split(",")):
            if not name:
                continue
            if name in GROUPS:
                for task in GROUPS[name]:
                    es = get_set(task)
                    chosen[es.name] = es
                continue
            try:
                es = get_set(name)
            except KeyError:
                known = ", ".join([*GROUPS, *(s.name for s in SETS)])
                raise DataError(
                    f"unknown set or group {name!r}; known: {known}", field="--against"
                ) from None
            chosen[es.name] = es
    return [es for es in SETS if es.name in chosen]


def load_items(
    sets: list[EvalSet],
    data: str | None,
    hub_sources: str | None = None,
    skipped: dict[str, str] | None = None,
) -> list[EvalItem]:
    """The items of ``sets``, loaded and validated by :func:`medfr_eval.data.load.load_records`.

    A set whose data cannot be found fails the whole check, unless ``skipped``
    is a dict: then the set is left out and its reason recorded there, so that
    the report says which sets were *not* checked (four of the study's sets have
    no public copy)."""
    from medfr_eval.data.load import load_records

    items: list[EvalItem] = []
    for es in sets:
        try:
            records = load_records(es.name, data, hub_sources)
        except DataError as exc:
            if skipped is None:
                raise
            skipped[es.name] = str(exc)
            continue
        for rec in records:
            items.append(EvalItem(es.name, rec["id"], item_segments(es, rec)))
    return items
