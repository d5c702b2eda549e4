"""Small files in each public source's exact layout, with items written by us.

The real archives cannot be downloaded in tests (and their items must not be
copied), yet the real reading code must run on something laid out like them:
a ``data.zip`` holding ``langs_processed/French-full.json`` (one JSON list over
the 10 corpora), FrenchMedMCQA's parquet file under the path of the Hub's
parquet conversion, typed with ``datasets`` features as the Hub writes them,
and MediQAl's ``<config>/test.json`` files. Tests, ``benchmarks/fetch.py`` and ``--from``
demonstrations use these builders; ``mutate`` lets a test break one record.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from medfr_eval.core.sets import BY_NAME, QUESTION_TYPES
from medfr_eval.data.public_sources import SOURCES
from medfr_eval.data.public_sources.bioinstructqa import ARCHIVE, CORPUS_TO_SET, MEMBER

_FR_OPTIONS = ["le foie", "le rein", "la rate", "le pancréas", "le cœur"]
_EN_OPTIONS = ["the liver", "the kidney", "the spleen", "the pancreas", "the heart"]


def bioinstructqa_record(corpus: str, i: int, pad: int = 0, filler: str = "") -> dict[str, Any]:
    """One record in BioInstructQA's layout; ``pad`` adds that many characters of context
    text (``filler`` if given, to build large archives for the memory benchmark)."""
    es = BY_NAME[CORPUS_TO_SET[corpus]]
    letters = list(es.letters)
    if es.name == "pubmedqa":
        fr_opts, en_opts = ["oui", "non", "peut-être"], ["yes", "no", "maybe"]
    else:
        fr_opts, en_opts = _FR_OPTIONS[: len(letters)], _EN_OPTIONS[: len(letters)]
    has_context = es.has_context or pad > 0
    return {
        "identifier": f"{corpus}-{i:05d}",
        "corpus_name": corpus,
        "task_type": "multiple_choice",
        "classes": letters,
        "question": f"Question {i} of the {corpus} sample: which organ is meant?",
        "options": dict(zip(letters, en_opts)),
        "correct_answer_letter": letters[i % len(letters)],
        "context": ("An abstract written for medfr's tests. " + (filler or "x" * pad))
        if has_context
        else None,
        "question_translated": f"Question {i} de l'échantillon {corpus} : de quel organe s'agit-il ?",
        "options_translated": dict(zip(letters, fr_opts)),
        "context_translated": ("Un résumé écrit pour les tests de medfr. " + (filler or "x" * pad))
        if has_context
        else None,
        "few_shot_samples[1]": "An example written for the tests.",
    }


def write_bioinstructqa(
    folder: Path,
    per_corpus: int = 3,
    *,
    mutate: Callable[[list[dict]], None] | None = None,
    pad: int = 0,
) -> Path:
    """``folder/data.zip`` laid out as BioMistral/BioInstructQA's; returns the zip path."""
    folder.mkdir(parents=True, exist_ok=True)
    records = [
        bioinstructqa_record(corpus, i, pad) for corpus in CORPUS_TO_SET for i in range(per_corpus)
    ]
    if mutate is not None:
        mutate(records)
    path = folder / ARCHIVE
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        # written record by record, so that large test archives need little memory too
        with zf.open(MEMBER, "w", force_zip64=True) as fh:
            fh.write(b"[")
            for k, rec in enumerate(records):
                fh.write((("," if k else "") + json.dumps(rec, ensure_ascii=False)).encode())
            fh.write(b"]")
        zf.writestr("base/overall_test+prompt.json", "[]")
    return path


def write_bioinstructqa_streaming(folder: Path, n_records: int, pad: int) -> Path:
    """A large ``data.zip`` (about ``2 * n_records * pad`` bytes of JSON) without holding it in
    memory; the padding is random hex, so the archive is about half the JSON's size (the real
    485 MB archive holds ~8 languages of text)."""
    import os

    folder.mkdir(parents=True, exist_ok=True)
    corpora = list(CORPUS_TO_SET)
    path = folder / ARCHIVE
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open(MEMBER, "w", force_zip64=True) as fh:
            fh.write(b"[")
            for k in range(n_records):
                filler = os.urandom(pad // 2).hex()
                rec = bioinstructqa_record(
                    corpora[k % len(corpora)], k // len(corpora), pad, filler
                )
                fh.write((("," if k else "") + json.dumps(rec, ensure_ascii=False)).encode())
            fh.write(b"]")
    return path


def _write_parquet(path: Path, rows: list[dict]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def frenchmedmcqa_gold(i: int) -> list[str]:
    """The gold letters (lower case, as the source labels them) of synthetic item ``i``."""
    return ["a", "c"] if i % 2 else ["b"]


def frenchmedmcqa_rows(n: int) -> list[dict[str, Any]]:
    """FrenchMedMCQA's columns with plain values: letters, and the count as a number."""
    rows = []
    for i in range(n):
        answers = frenchmedmcqa_gold(i)
        rows.append(
            {
                "id": f"fmm-{i:04d}",
                "question": f"Question de pharmacie {i} : quelle(s) proposition(s) est (sont) exacte(s) ?",
                **{f"answer_{x}": f"Proposition {x.upper()} de la question {i}" for x in "abcde"},
                "correct_answers": answers,
                "number_correct_answers": len(answers),
            }
        )
    return rows


def write_frenchmedmcqa(
    folder: Path,
    n: int = 4,
    *,
    names: tuple[str, ...] | None = ("a", "b", "c", "d", "e"),
    mutate=None,
) -> Path:
    """``folder/default/test/0000.parquet`` with FrenchMedMCQA's columns, typed as the authors'
    loading script types them and written as the Hub writes parquet: ``correct_answers`` a
    ``Sequence(ClassLabel(names=names))`` (the file stores indices into ``names``, in that
    order), ``number_correct_answers`` a ``ClassLabel`` named "1" ... "5" (index 0 means "1"),
    both kept in the ``huggingface`` schema metadata by ``datasets``. ``names=None`` writes
    the letters as plain strings and the count as a number, with no features.
    ``mutate(rows)`` edits the rows first (letters and counts, before indexing)."""
    rows = frenchmedmcqa_rows(n)
    if mutate is not None:
        mutate(rows)
    path = folder / "default" / "test" / "0000.parquet"
    if names is None:
        return _write_parquet(path, rows)
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    counts = [str(k) for k in range(1, 6)]
    typed = {
        "correct_answers": Sequence(ClassLabel(names=list(names))),
        "number_correct_answers": ClassLabel(names=counts),
    }
    keys = list(rows[0]) if rows else list(typed)  # a mutated row may lack a column
    features = Features({k: typed.get(k, Value("string")) for k in keys})
    columns: dict[str, list] = {key: [] for key in keys}
    index = {n.lower(): i for i, n in enumerate(names)}  # names may be upper case
    for row in rows:
        for key in keys:
            value = row[key]
            if key == "correct_answers":  # letters -> their index among `names`
                value = [index.get(a.lower(), a) if isinstance(a, str) else a for a in value]
            elif key == "number_correct_answers" and str(value) in counts:
                value = counts.index(str(value))
            columns[key].append(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    import datasets

    shown = not datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()  # a test reads stderr: no "Creating parquet" bar there
    try:
        Dataset.from_dict(columns, features=features).to_parquet(str(path))
    finally:
        if shown:
            datasets.enable_progress_bars()
    return path


def mediqal_rows(config: str, n: int) -> list[dict[str, Any]]:
    """Records of one MediQAl config with the card's fields, as its authors read them."""
    rows = []
    for i in range(n):
        row: dict[str, Any] = {
            "id": f"{config}-{i:04d}",
            # every other question has no clinical case (null, as in MediQAl)
            "clinical_case": None if i % 2 else f"Cas clinique {i} : un patient de {40 + i} ans.",
            "question": f"Question {i} ({config}) : que faut-il faire ?",
        }
        if config == "oeq":
            row["cc_question_number"] = str(i + 1)
            row["answer"] = f"La réponse de référence {i}."
        else:
            row.update({f"answer_{x}": f"Option {x.upper()} ({i})" for x in "abcde"})
            # the authors' form: upper case, comma-separated without spaces
            row["correct_answers"] = "B" if config == "mcqu" else "A,D"
            row["task"] = config
        row["medical_subject"] = ("Cardiologie", "Pédiatrie")[i % 2]
        row["question_type"] = QUESTION_TYPES[(i // 2) % 2]
        rows.append(row)
    return rows


def write_mediqal(folder: Path, n: int = 4, *, mutate=None, lines: bool = False) -> list[Path]:
    """``folder/<config>/test.json`` for mcqu, mcqm and oeq with MediQAl's fields: one JSON
    list (``lines=True``: JSON Lines, the other form ``datasets`` reads for ``.json``)."""
    paths = []
    for config in ("mcqu", "mcqm", "oeq"):
        rows = mediqal_rows(config, n)
        if mutate is not None:
            mutate(config, rows)
        path = folder / config / "test.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        if lines:
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        else:
            text = json.dumps(rows, ensure_ascii=False, indent=1)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def write_mirror(root: Path, per_corpus: int = 2, n: int = 4) -> Path:
    """Every public source under ``root`` as ``--from`` reads it (``<owner>/<name>/...``, the
    Hub's layout): BioInstructQA with ``per_corpus`` records per corpus, FrenchMedMCQA and
    each MediQAl config with ``n`` items."""
    write_bioinstructqa(root / SOURCES["bioinstructqa"].repo, per_corpus=per_corpus)
    write_frenchmedmcqa(root / SOURCES["frenchmedmcqa"].repo, n=n)
    write_mediqal(root / SOURCES["mediqal"].repo, n=n)
    return root
