"""Option permutations: re-ask each single-answer item with its options cyclically shifted.

Shift ``s`` puts old option ``(i + s) mod n`` at position ``i``, so the gold
letter moves from index ``g`` to ``(g - s) mod n``. Ids stay the item's own, so
paired tools (``medfr-signif``) match the orders item by item.

Two ways in, both through the task's ``custom_dataset`` loader
(:func:`load_set`, which wraps :func:`medfr_eval.data.load_set`):

- ``--metadata '{"medfr_permutations": K}'``: every single-answer task holds
  its items K+1 times (shifts 0..K, doc field ``medfr_shift``); its ``acc`` is
  then the mean accuracy over the K+1 orders, and the cost is K+1 passes per
  item.
- tasks ``<task>_perm1`` / ``<task>_perm2`` (``dataset_kwargs: {medfr_shift: s}``):
  one shifted order per task, doc order and ids as the unshifted task.

Consistency and position bias across orders come from the sample logs
(:func:`permutation_report`). Multi-answer sets are not permuted (the issue
asks for single-answer items; a warning says so), open-QA sets have no options.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from medfr_eval import data, prompts
from medfr_eval.errors import DataError
from medfr_eval.sets import EvalSet, get_set

log = logging.getLogger(__name__)
LETTERS = "ABCDE"


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


def load_set(
    medfr_set: str,
    medfr_data: str | None = None,
    medfr_prompts: str | None = None,
    medfr_hub: str | None = None,
    medfr_permutations: Any = None,
    medfr_shift: int | None = None,
    **metadata: Any,
):
    """``custom_dataset`` of every medfr task: :func:`medfr_eval.data.load_set` plus permutations."""
    es = get_set(medfr_set)
    if medfr_shift is None and not medfr_permutations:
        return data.load_set(medfr_set, medfr_data, medfr_prompts, medfr_hub, **metadata)
    if es.kind != "mcq":
        if es.kind == "mcq_multi":
            log.warning("medfr: %s is multi-answer; options are not permuted", es.task)
        return data.load_set(medfr_set, medfr_data, medfr_prompts, medfr_hub, **metadata)
    import datasets

    if medfr_shift is not None:
        shifts = [int(medfr_shift) % es.n_options]
    else:
        shifts = list(range(check_permutations(medfr_permutations, es.n_options) + 1))
    records = data.load_records(es.name, medfr_data, medfr_hub)
    docs = permuted_docs(es, records, shifts, prompts.prompt_dir_from(medfr_prompts))
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})


# ---------------------------------------------------------------- report over orders


def chosen_index(sample: Mapping) -> int | None:
    """The option index a sample chose, in any mode (None for an unparsable answer)."""
    resp = sample["filtered_resps"]
    if resp and isinstance(resp[0], Mapping):  # generation modes, after MCQParseFilter
        letters = resp[0]["letters"]
        return LETTERS.index(letters[0]) if len(letters) == 1 else None
    lls = [r[0] for r in resp]
    return max(range(len(lls)), key=lambda i: (lls[i], -i))


def permutation_report(samples: Iterable[Mapping]) -> dict:
    """Mean accuracy over orders, consistency and position bias from single-answer sample logs.

    ``samples``: lm-eval sample-log entries of one set in one mode, from all
    orders together (a run with ``medfr_permutations`` K, or the base task's
    samples plus those of its ``_perm1``/``_perm2`` tasks, read with
    ``lm_eval.utils`` or ``json``). The order of a sample is its doc's
    ``medfr_shift`` (0 when absent).

    - ``accuracy_by_order`` and ``mean_accuracy``: accuracy per shift, then
      their mean;
    - ``consistency``: share of items whose chosen option *text* is the same
      in every order (an unparsable answer breaks consistency);
    - ``position_bias``: counts of chosen letters against gold letters
      (``chosen[letter]``, ``gold[letter]``) and their total-variation distance
      (0: the model picks positions as often as they hold the answer).
    """
    by_item: dict[str, dict[int, str | None]] = defaultdict(dict)
    correct: dict[int, list[float]] = defaultdict(list)
    chosen_letters: Counter = Counter()
    gold_letters: Counter = Counter()
    for s in samples:
        doc = s["doc"]
        shift = int(doc.get("medfr_shift", 0))
        idx = chosen_index(s)
        by_item[str(doc["id"])][shift] = doc["options"][idx] if idx is not None else None
        correct[shift].append(float(idx == doc["gold"]))
        if idx is not None:
            chosen_letters[LETTERS[idx]] += 1
        gold_letters[LETTERS[doc["gold"]]] += 1
    if not by_item:
        raise DataError("no samples to compare across option orders")
    orders = sorted(correct)
    complete = [v for v in by_item.values() if set(v) == set(orders)]
    consistent = [v for v in complete if None not in v.values() and len(set(v.values())) == 1]
    by_order = {o: sum(correct[o]) / len(correct[o]) for o in orders}
    n_chosen, n_gold = sum(chosen_letters.values()) or 1, sum(gold_letters.values())
    letters = sorted(set(chosen_letters) | set(gold_letters))
    tvd = 0.5 * sum(abs(chosen_letters[k] / n_chosen - gold_letters[k] / n_gold) for k in letters)
    return {
        "orders": orders,
        "n_items": len(complete),
        "accuracy_by_order": by_order,
        "mean_accuracy": sum(by_order.values()) / len(by_order),
        "consistency": len(consistent) / len(complete) if complete else None,
        "position_bias": {
            "chosen": {k: chosen_letters[k] for k in letters},
            "gold": {k: gold_letters[k] for k in letters},
            "total_variation": tvd,
        },
    }
