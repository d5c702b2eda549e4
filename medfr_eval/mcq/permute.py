"""Option permutations: re-ask each single-answer item with its options cyclically shifted.

Shift ``s`` puts old option ``(i + s) mod n`` at position ``i``, so the gold
letter moves from index ``g`` to ``(g - s) mod n``. Ids stay the item's own, so
paired tools (``medfr-signif``) match the orders item by item.

Two ways in, both through the task's ``custom_dataset`` loader
(:func:`load_set`, which hands :func:`medfr_eval.data.load.load_set`, the one loader
of every task, a way to turn its final records into docs: the exclusion list,
the size check and the served order are the unshifted task's):

- ``--metadata '{"medfr_permutations": K}'``: every single-answer task holds
  its items K+1 times (shifts 0..K, doc field ``medfr_shift``); its ``acc`` is
  then the mean accuracy over the K+1 orders, and the cost is K+1 passes per
  item.
- tasks ``<task>_perm1`` / ``<task>_perm2`` (``dataset_kwargs: {medfr_shift: s}``):
  one shifted order per task, doc order and ids as the unshifted task.

Consistency and position bias across orders come from the sample logs
(:func:`permutation_report`). Multi-answer sets are not permuted (a
warning says so), open-QA sets have no options.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import LETTERS, EvalSet, get_set
from medfr_eval.data import load as data
from medfr_eval.mcq.rules import apply_constrained_rule

log = logging.getLogger(__name__)


def check_permutations(value: Any, n_options: int | None = None) -> int:
    """The permutation count K, checked: an integer, 0 <= K < number of options."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DataError(f"expected an integer >= 0, got {value!r}", field="medfr_permutations")
    if n_options is not None and value >= n_options:
        raise DataError(
            f"{value} shifted orders need more than {value} options; this set has "
            f"{n_options} (at most {n_options - 1} distinct shifts)",
            field="medfr_permutations",
        )
    return value


def shift_record(rec: dict, shift: int) -> dict:
    """One single-answer record with its options rotated by ``shift`` and its gold letter remapped."""
    options = rec["options"]
    n = len(options)
    shift %= n
    gold = LETTERS.index(rec["answer"])
    return {
        **rec,
        "options": options[shift:] + options[:shift],
        "answer": LETTERS[(gold - shift) % n],
    }


def permuted_docs(
    es: EvalSet, records: list[dict], shifts: Iterable[int], prompt_dir: str | None
) -> list[dict]:
    """Docs for every shift in turn, each marked with its ``medfr_shift``."""
    docs = []
    for shift in shifts:
        shifted = [shift_record(r, shift) for r in records]
        for doc in data.build_docs(es, shifted, prompt_dir):
            docs.append({**doc, "medfr_shift": shift})
    return docs


def _shifts(es: EvalSet, medfr_permutations: Any, medfr_shift: int | None) -> list[int] | None:
    """The option shifts a task asks for, or None when its docs are the plain ones."""
    if medfr_shift is None and not medfr_permutations:
        return None
    if es.kind != "mcq":
        if es.kind == "mcq_multi":
            log.warning("medfr: %s is multi-answer; options are not permuted", es.task)
        return None
    if medfr_shift is not None:
        return [int(medfr_shift) % es.n_options]
    return list(range(check_permutations(medfr_permutations, es.n_options) + 1))


def load_set(
    medfr_set: str,
    medfr_data: str | None = None,
    medfr_prompts: str | None = None,
    medfr_hub: str | None = None,
    medfr_permutations: Any = None,
    medfr_shift: int | None = None,
    medfr_constrained_rule: Any = None,
    **metadata: Any,
):
    """``custom_dataset`` of every medfr task: :func:`medfr_eval.data.load.load_set`, the one loader.

    Option orders only change how its final records (checked, size-checked,
    without the excluded ids, in serving order) become docs: each shift's docs
    in turn (:func:`permuted_docs`). Also hands ``medfr_constrained_rule`` to
    the task being built (:func:`medfr_eval.mcq.rules.apply_constrained_rule`).
    """
    apply_constrained_rule(medfr_constrained_rule)
    es = get_set(medfr_set)
    shifts = _shifts(es, medfr_permutations, medfr_shift)
    builder = None
    if shifts is not None:

        def builder(es: EvalSet, records: list[dict], prompt_dir: str | None) -> list[dict]:
            return permuted_docs(es, records, shifts, prompt_dir)

    return data.load_set(
        medfr_set, medfr_data, medfr_prompts, medfr_hub, docs_builder=builder, **metadata
    )


# ---------------------------------------------------------------- report over orders


def chosen_index(sample: Mapping) -> int | None:
    """The option index a sample chose, in any mode (None for an unparsable answer)."""
    resp = sample["filtered_resps"]
    if resp and isinstance(resp[0], Mapping):  # generation modes, after MCQParseFilter
        letters = resp[0]["letters"]
        return LETTERS.index(letters[0]) if len(letters) == 1 else None
    lls = [r[0] for r in resp]
    return max(range(len(lls)), key=lambda i: (lls[i], -i))


def order_record(doc: Mapping, idx: int | None) -> dict:
    """What the report over orders needs from one answered item (also its per-item metric value)."""
    return {
        "id": str(doc["id"]),
        "shift": int(doc.get("medfr_shift", 0)),
        "choice": doc["options"][idx] if idx is not None else None,
        "chosen": LETTERS[idx] if idx is not None else None,
        "gold": LETTERS[doc["gold"]],
    }


def order_metrics(doc: Mapping, idx: int | None) -> dict:
    """Per-item ``consistency`` / ``position_bias`` values, only for docs of a permuted run."""
    if "medfr_shift" not in doc:
        return {}
    record = order_record(doc, idx)
    return {"consistency": record, "position_bias": record}


def consistency(records: Sequence[Mapping]) -> float:
    """Share of items whose chosen option text is the same in every order (lm-eval aggregation).

    Only items seen in every order count; an unparsable answer breaks consistency.
    """
    by_item: dict[str, dict[int, str | None]] = defaultdict(dict)
    for r in records:
        by_item[r["id"]][r["shift"]] = r["choice"]
    orders = {r["shift"] for r in records}
    complete = [v for v in by_item.values() if set(v) == orders]
    if not complete:
        raise DataError("no item was answered in every option order")
    same = [v for v in complete if None not in v.values() and len(set(v.values())) == 1]
    return len(same) / len(complete)


def letter_spread(records: Sequence[Mapping]) -> dict:
    """Chosen letters against gold letters, their total-variation distance, the unparsed count.

    The distance compares shares of chosen letters with shares of gold ones;
    with no parsed answer there is no share of chosen letters, so it is
    undefined: ``None``, never a number (``unparsed`` counts those answers).
    """
    chosen = Counter(r["chosen"] for r in records if r["chosen"] is not None)
    gold = Counter(r["gold"] for r in records)
    letters = sorted(set(chosen) | set(gold))
    n_chosen, n_gold = sum(chosen.values()), sum(gold.values())
    tvd = None
    if n_chosen and n_gold:
        tvd = 0.5 * sum(abs(chosen[k] / n_chosen - gold[k] / n_gold) for k in letters)
    return {
        "chosen": {k: chosen[k] for k in letters},
        "gold": {k: gold[k] for k in letters},
        "total_variation": tvd,
        "unparsed": len(records) - n_chosen,
    }


def position_bias(records: Sequence[Mapping]) -> float | None:
    """Total-variation distance between chosen and gold letter shares (lm-eval aggregation).

    0: the model picks each position as often as it holds the answer; 1: never.
    ``None`` (null in the results) when no answer parsed: the distance is undefined.
    """
    return letter_spread(records)["total_variation"]


def permutation_report(samples: Iterable[Mapping]) -> dict:
    """Mean accuracy over orders, consistency and position bias from single-answer sample logs.

    ``samples``: lm-eval sample-log entries of one set in one mode, from all
    orders together (a run with ``medfr_permutations`` K, or the base task's
    samples plus those of its ``_perm1``/``_perm2`` tasks, read with ``json``).
    The order of a sample is its doc's ``medfr_shift`` (0 when absent).

    - ``accuracy_by_order`` and ``mean_accuracy``: accuracy per shift, then
      their mean;
    - ``consistency``: share of items whose chosen option *text* is the same
      in every order (:func:`consistency`);
    - ``position_bias``: counts of chosen letters against gold letters,
      their total-variation distance (null when no answer parsed) and the
      count of unparsed answers (:func:`letter_spread`).

    A run with ``medfr_permutations`` also reports ``consistency`` and
    ``position_bias`` (the distance) as lm-eval metrics of the task.
    """
    records, correct = [], defaultdict(list)
    for s in samples:
        idx = chosen_index(s)
        record = order_record(s["doc"], idx)
        records.append(record)
        correct[record["shift"]].append(float(idx == s["doc"]["gold"]))
    if not records:
        raise DataError("no samples to compare across option orders")
    by_order = {o: sum(v) / len(v) for o, v in sorted(correct.items())}
    orders = sorted(by_order)
    shifts_by_item: dict[str, set[int]] = defaultdict(set)
    for r in records:
        shifts_by_item[r["id"]].add(r["shift"])
    n_items = sum(1 for v in shifts_by_item.values() if len(v) == len(orders))
    return {
        "orders": orders,
        "n_items": n_items,
        "accuracy_by_order": by_order,
        "mean_accuracy": sum(by_order.values()) / len(by_order),
        "consistency": consistency(records),
        "position_bias": letter_spread(records),
    }
