"""Loading and checking the evaluation sets.

Where the data comes from, in this order:

1. ``--metadata '{"medfr_data": ...}'`` (lm-eval passes ``--metadata`` to our
   loader) or the ``MEDFR_DATA`` environment variable: ``sample`` for the small
   sets shipped with medfr, ``hub`` for the Hub, or a folder of ``<set>.jsonl``
   files in our schema (the study's own files, or what ``medfr-data fetch``
   wrote): a file there always wins;
2. a Hub source that the user named in a sources file (:mod:`medfr_eval.data.sources`);
3. the set's public copy (:mod:`medfr_eval.data.public_sources`: BioMistral's
   translation for the 10 translated sets and their English twins,
   FrenchMedMCQA, MediQAl), converted once into a cache (:mod:`medfr_eval.data.fetch`);
4. otherwise the set must be requested from the study's authors: the error
   lists every set without data at once.

The item count of a set with a known size (the study's) is compared with what
was loaded: a difference is a warning, recorded in the task's config metadata
(``medfr_loaded``); ``--metadata '{"medfr_strict_sizes": true}'`` makes it an
error.

Every record is checked against the schema of its set's kind; a bad row fails
with the file, line and field; every text is read in Unicode NFC
(:mod:`medfr_eval.core.textnorm`). The prompt is rendered into each doc here (see
:mod:`medfr_eval.data.prompts`), together with the answer choices and the gold index
that the lm-eval YAML reads.

Served order: every set reaches lm-eval sorted by the SHA-256 of its item ids
(:func:`serving_order`), whatever the order of its file. Sources group their
items (FrenchMedMCQA lists its single-answer items first, a clinical case keeps
its questions together), and ``--limit N`` takes the first N docs: in file
order those would be one kind of item only. The order is the same on every
machine and for every source of the same items, and the English twins, whose
ids are their French sets', are served in the same order.

:func:`load_set` is the one loader of every medfr task: restricted, ``_gen``,
``_constrained``, ``_perm*`` and ``medfr_permutations`` runs all go through
it (the option orders of :mod:`medfr_eval.mcq.permute` only change how the
final records become docs), so the exclusion list, the size check and the
early BERTScore check hold for every one of them.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import LETTERS, EvalSet, get_set
from medfr_eval.data import prompts
from medfr_eval.data.availability import resolve_choice
from medfr_eval.data.records import read_jsonl, validate_records
from medfr_eval.data.sources import HubSource, get_source


def letter_sets(n_options: int = 5) -> list[str]:
    """All non-empty answer sets over the first ``n_options`` letters ("A", ..., "A B C D E").

    FrMedMCQA is scored by choosing among these 31 strings, so a model can only
    answer a well-formed set of letters (the study's restricted output).
    """
    letters = LETTERS[:n_options]
    return [
        " ".join(c) for k in range(1, n_options + 1) for c in itertools.combinations(letters, k)
    ]


# ---------------------------------------------------------------- validation


def _from_folder(es: EvalSet, folder: str) -> list[dict]:
    path = Path(folder) / f"{es.name}.jsonl"
    return validate_records(es, read_jsonl(path), path)


def _index(value: Any) -> int:
    """An integer index from an int, an integral float (pandas) or a numeric string; else ValueError."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not an index")
    if isinstance(value, float):
        if not value.is_integer():  # also NaN and infinities
            raise ValueError("not a whole number")
        return int(value)
    return int(str(value).strip())


def _answer_letter(value: Any, fmt: str, options: list[str], where: dict, n_options: int) -> str:
    """Our answer letter from a foreign answer; an index outside the options is an error.

    Why the bounds check: Python's negative indexing would turn ``0`` in an
    ``index1`` column (or ``-1`` in ``index0``) into the last letter silently."""
    n = n_options
    if fmt in ("index0", "index1"):
        first = 1 if fmt == "index1" else 0
        try:
            index = _index(value)
        except (ValueError, TypeError, OverflowError):
            index = None
        if index is None or not first <= index < first + n:
            raise DataError(
                f"cannot read answer {value!r} as {fmt}: expected a whole number "
                f"from {first} to {first + n - 1}",
                field="answer",
                **where,
            )
        return LETTERS[index - first]
    if fmt == "letter":
        return str(value).strip().upper()
    if fmt == "text":
        if value not in options:
            raise DataError(
                f"cannot read answer {value!r} as text: it is none of the options",
                field="answer",
                **where,
            )
        return LETTERS[options.index(value)]
    raise DataError(f"unknown answer_format {fmt!r}", field="answer_format", **where)


def convert_row(
    es: EvalSet, row: Any, src: HubSource, where: dict, number: int | None = None
) -> dict:
    """Map one foreign row onto our schema with the source's column mapping.

    ``number`` (the row's 1-based position) is the id of a row without one;
    by default the line in ``where``."""
    if not isinstance(row, dict):
        raise DataError(
            f"expected an object (a row with columns), got {type(row).__name__}", **where
        )
    cols = src.columns
    rec: dict[str, Any] = {}
    for ours, theirs in cols.items():
        if ours == "options" and isinstance(theirs, list):
            missing = [c for c in theirs if c not in row]
            if missing:
                raise DataError(f"column(s) {missing} not in the data", field="options", **where)
            rec["options"] = [row[c] for c in theirs]
        else:
            if theirs not in row:
                raise DataError(
                    f"column {theirs!r} not in the data (columns: {sorted(row)})",
                    field=ours,
                    **where,
                )
            rec[ours] = row[theirs]
    for ours in (
        "id",
        "question",
        "answer",
        "answers",
        "options",
        "context",
        "case_id",
        "case",
        "position",
    ):
        if ours not in rec and ours in row:
            rec[ours] = row[ours]
    if es.kind == "mcq" and "answer" in rec:
        options = rec.get("options")
        rec["answer"] = _answer_letter(
            rec["answer"],
            src.answer_format,
            options if isinstance(options, list) else [],
            where,
            es.n_options,
        )
    if es.kind == "mcq_multi" and isinstance(rec.get("answers"), str):
        rec["answers"] = sorted(rec["answers"].replace(",", " ").split())
    rec.setdefault("id", str(number if number is not None else where.get("line")))
    return rec


def _from_hub(es: EvalSet, src: HubSource) -> list[dict]:
    import datasets

    label = f"hub:{src.path}" + (f"/{src.name}" if src.name else "") + f"[{src.split}]"
    try:
        ds = datasets.load_dataset(src.path, src.name, split=src.split)
    except Exception as exc:  # network, missing config, gated set...
        raise DataError(
            f"could not load set {es.name!r} from {label}: {exc}. Without Hub access, put "
            f"{es.name}.jsonl in a folder named by MEDFR_DATA (docs/data.md)",
            file=label,
        ) from exc
    rows = ((i, convert_row(es, row, src, {"file": label, "line": i})) for i, row in enumerate(ds))
    return validate_records(es, rows, label)


def load_records_from(
    set_name: str, medfr_data: str | None = None, medfr_hub: str | None = None
) -> tuple[list[dict], str]:
    """Validated records of one set and where they came from (see the module docstring)."""
    from medfr_eval.data.availability import missing_data_error

    es = get_set(set_name)
    how, folder = resolve_choice(medfr_data)
    if how == "sample":
        return _from_folder(es, folder), "shipped samples"
    if how == "dir" and (Path(folder) / f"{es.name}.jsonl").is_file():
        return _from_folder(es, folder), str(Path(folder) / f"{es.name}.jsonl")
    src = get_source(es.name, medfr_hub) if es.in_study else None
    if src is not None and src.path:
        return _from_hub(es, src), f"hub:{src.path}"
    if es.public_source:
        from medfr_eval.data.fetch import ensure_cached
        from medfr_eval.data.public_sources import SOURCES

        try:
            path = ensure_cached(es.name)
        except DataError as exc:
            if how != "dir":
                raise
            # the user named a folder: say it was looked in before the public copy
            missing = Path(folder) / f"{es.name}.jsonl"
            raise DataError(
                f"no {missing}, and the public copy could not be had: {exc.message}",
                file=exc.file,
                line=exc.line,
                field=exc.field,
            ) from None
        source = SOURCES[es.public_source]
        return _from_folder(es, str(path.parent)), f"{source.repo}@{source.revision}"
    raise missing_data_error(es, folder if how == "dir" else None, medfr_hub)


def load_records(
    set_name: str, medfr_data: str | None = None, medfr_hub: str | None = None
) -> list[dict]:
    """Validated records of one set, from the chosen source."""
    return load_records_from(set_name, medfr_data, medfr_hub)[0]


# ---------------------------------------------------------------- docs for lm-eval


def build_docs(es: EvalSet, records: list[dict], prompt_dir: str | None = None) -> list[dict]:
    """Add the rendered ``prompt``, the ``choices`` and the ``gold`` index to every record."""
    docs = []
    if es.kind in ("mcq", "mcq_multi"):
        choices = list(es.letters) if es.kind == "mcq" else letter_sets(es.n_options)
        # English twins read the English template (same structure, our English wording)
        template = es.kind if es.lang == "fr" else f"{es.kind}_{es.lang}"
        for rec in records:
            variables = {
                "question": rec["question"],
                "options": list(zip(es.letters, rec["options"])),
                "letters": list(es.letters),
                "n_options": es.n_options,
                "context": rec.get("context", ""),
                "clinical_case": es.clinical_case,  # the context's label (mcq.j2)
            }
            gold = rec["answer"] if es.kind == "mcq" else " ".join(rec["answers"])
            docs.append(
                {
                    **rec,
                    "context": rec.get("context", ""),
                    "prompt": prompts.render(template, variables, prompt_dir),
                    "choices": choices,
                    "gold": choices.index(gold),
                }
            )
    elif es.kind == "openqa":
        for rec in records:
            variables = {"question": rec["question"], "context": rec.get("context", "")}
            doc = {**rec, "prompt": prompts.render("openqa", variables, prompt_dir)}
            if es.has_context:  # every doc gets the column (datasets keeps the first doc's keys)
                doc = {**rec, "context": rec.get("context", ""), "prompt": doc["prompt"]}
            docs.append(doc)
    else:  # openqa_case: each question sees the case and the earlier questions, not their answers
        by_case: dict[str, list[dict]] = defaultdict(list)
        for rec in records:
            by_case[rec["case_id"]].append(rec)
        order = {rec["id"]: i for i, rec in enumerate(records)}
        built = {}
        for case_recs in by_case.values():
            case_recs.sort(key=lambda r: r["position"])
            for i, rec in enumerate(case_recs):
                previous = [r["question"] for r in case_recs[:i]]
                variables = {"case": rec["case"], "previous": previous, "question": rec["question"]}
                built[rec["id"]] = {
                    **rec,
                    "previous_questions": previous,
                    "prompt": prompts.render("openqa_case", variables, prompt_dir),
                }
        docs = sorted(built.values(), key=lambda d: order[d["id"]])
    return docs


def _exclude_contaminated(es: EvalSet, records: list[dict], report: str) -> list[dict]:
    """The clean subset: ``records`` without the ids of a ``medfr-data contamination`` report."""
    from medfr_eval.contamination.exclude import exclude_records

    return exclude_records(es, records, report)


#: What :func:`serving_order` sorts by, as recorded in ``metadata.medfr_loaded``.
SERVING_ORDER = "sha256(id)"


def serving_key(item_id: str) -> str:
    """The sort key of one item: the hex SHA-256 of its id's UTF-8 bytes (ids are NFC)."""
    return hashlib.sha256(item_id.encode("utf-8")).hexdigest()


def serving_order(records: list[dict]) -> list[dict]:
    """``records`` in the order lm-eval is given them: by :func:`serving_key` of their ids.

    Why a hash and not the file's order: sources group their items (by answer
    count, by case, by subject), so the first N of a file (``--limit N``) are
    not a sample of the set. Why not a seeded shuffle: the key of an item does
    not depend on the other items, so a subset (``medfr_exclude``, a partial
    file) keeps the relative order of the full set."""
    return sorted(records, key=lambda rec: serving_key(rec["id"]))


#: Turns a set's final records into lm-eval docs: (set, records, prompt folder) -> docs.
DocsBuilder = Callable[[EvalSet, list[dict], "str | None"], list[dict]]


def load_set(
    medfr_set: str,
    medfr_data: str | None = None,
    medfr_prompts: str | None = None,
    medfr_hub: str | None = None,
    medfr_exclude: str | None = None,
    medfr_strict_sizes: Any = False,
    *,
    docs_builder: DocsBuilder | None = None,
    **_metadata: Any,
):
    """lm-eval ``custom_dataset`` entry point: a ``DatasetDict`` with a ``test`` split.

    lm-eval calls it with the task's ``metadata`` (which includes ``--metadata``
    and the model arguments) plus ``dataset_kwargs``; keys that are not ours
    are ignored. Where the data came from, its size check and the served order
    are written to the task's config metadata (``medfr_loaded``), so they are in
    the results. ``medfr_exclude`` names a contamination report whose ids are
    then left out (:func:`_exclude_contaminated`); the size check sees the full
    set. The records left are put in :func:`serving_order`, then made into docs
    by ``docs_builder`` (default :func:`build_docs`; the option orders of
    :func:`medfr_eval.mcq.permute.load_set` pass their own).
    """
    import datasets

    from medfr_eval.data.availability import building_task, check_size, flag, record_in_task

    es = get_set(medfr_set)
    records, origin = load_records_from(es.name, medfr_data, medfr_hub)
    if origin == "shipped samples":  # illustrative sets: their size says nothing
        loaded = {"source": origin, "items": len(records), "expected_items": None}
    else:
        loaded = check_size(es, len(records), origin, flag(medfr_strict_sizes))
    loaded["order"] = SERVING_ORDER
    if es.public_source:  # the commit a fetched copy came from (MANIFEST.json)
        from medfr_eval.data.fetch import provenance

        loaded.update(provenance(es.name, origin))
    task = building_task()
    if task is not None:  # called by lm-eval while it builds the task, before any generation
        record_in_task(task, "medfr_loaded", loaded)
        if not es.kind.startswith("mcq"):
            # BERTScore must load now, not after hours of generation; its identity
            # goes into the results with the task's config
            from medfr_eval.metrics.bertscore import ScorerSpec, check_scorer

            record_in_task(task, "medfr_bertscore", check_scorer(ScorerSpec.from_env()))
    if medfr_exclude:
        records = _exclude_contaminated(es, records, medfr_exclude)
    build = docs_builder or build_docs
    docs = build(es, serving_order(records), prompts.prompt_dir_from(medfr_prompts))
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs)})
