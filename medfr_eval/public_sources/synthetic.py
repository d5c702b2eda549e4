"""Small files in each public source's exact layout, with items written by us.

The real archives cannot be downloaded in tests (and their items must not be
copied), yet the real reading code must run on something laid out like them:
a ``data.zip`` holding ``langs_processed/French-full.json`` (one JSON list over
the 10 corpora), FrenchMedMCQA's and MediQAl's parquet files under the paths of
the Hub's parquet conversion. Tests, ``benchmarks/fetch.py`` and ``--from``
demonstrations use these builders; ``mutate`` lets a test break one record.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from medfr_eval.public_sources.bioinstructqa import ARCHIVE, CORPUS_TO_SET, MEMBER
from medfr_eval.sets import BY_NAME

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


def write_frenchmedmcqa(folder: Path, n: int = 4, *, int_labels: bool = False, mutate=None) -> Path:
    """``folder/default/test/0000.parquet`` with FrenchMedMCQA's columns."""
    rows = []
    for i in range(n):
        answers = ["a", "c"] if i % 2 else ["b"]
        rows.append(
            {
                "id": f"fmm-{i:04d}",
                "question": f"Question de pharmacie {i} : quelle(s) proposition(s) est (sont) exacte(s) ?",
                **{f"answer_{x}": f"Proposition {x.upper()} de la question {i}" for x in "abcde"},
                "correct_answers": ["abcde".index(a) for a in answers] if int_labels else answers,
                "number_correct_answers": len(answers),
            }
        )
    if mutate is not None:
        mutate(rows)
    return _write_parquet(folder / "default" / "test" / "0000.parquet", rows)


def write_mediqal(folder: Path, n: int = 4, *, mutate=None) -> list[Path]:
    """``folder/<config>/test/0000.parquet`` for mcqu, mcqm and oeq with MediQAl's columns."""
    paths = []
    for config in ("mcqu", "mcqm", "oeq"):
        rows = []
        for i in range(n):
            row: dict[str, Any] = {
                "id": f"{config}-{i:04d}",
                # every other question has no clinical case (empty string), as in MediQAl
                "clinical_case": "" if i % 2 else f"Cas clinique {i} : un patient de {40 + i} ans.",
                "question": f"Question {i} ({config}) : que faut-il faire ?",
            }
            if config == "oeq":
                row["answer"] = f"La réponse de référence {i}."
            else:
                row.update({f"answer_{x}": f"Option {x.upper()} ({i})" for x in "abcde"})
                row["correct_answers"] = ["B"] if config == "mcqu" else ["A", "D"]
            rows.append(row)
        if mutate is not None:
            mutate(config, rows)
        paths.append(_write_parquet(folder / config / "test" / "0000.parquet", rows))
    return paths
