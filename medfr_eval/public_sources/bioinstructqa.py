"""BioMistral/BioInstructQA: the 10 translated sets (French) and their English originals.

Layout (SOURCES.md, from the dataset card and its loading script; the archive
itself could not be inspected when this was written, so every record is
checked): ``data.zip`` holds ``langs_processed/French-full.json``, ONE JSON list
over the 10 corpora. A record carries ``identifier``, ``corpus_name``,
``classes`` (the option letters), ``question`` / ``options`` / ``context``
(English) and ``question_translated`` / ``options_translated`` /
``context_translated`` (French); ``correct_answer_letter`` is shared.

The list is read as a stream from inside the zip (:mod:`medfr_eval.jsonstream`)
so memory does not grow with the archive. Test items: ``French-full.json`` is
what BioMistral's script serves as the French *test* split, so every record is
taken, except that a record carrying a ``split`` field other than ``test`` is
skipped (none is expected; the count check against the study's sizes catches
a file that holds more).
"""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medfr_eval.errors import DataError
from medfr_eval.jsonstream import iter_json_list
from medfr_eval.public_sources.frenchmedmcqa import text
from medfr_eval.sets import BY_NAME

SOURCE = "BioMistral/BioInstructQA"
ARCHIVE = "data.zip"
MEMBER = "langs_processed/French-full.json"

CORPUS_TO_SET: dict[str, str] = {
    "MedQA": "medqa_4opt",
    "MedQA-5_options": "medqa_5opt",
    "MedMCQA": "medmcqa",
    "PubMedQA": "pubmedqa",
    "MMLU_anatomy": "mmlu_anatomy",
    "MMLU_clinical_knowledge": "mmlu_clinical_knowledge",
    "MMLU_college_biology": "mmlu_college_biology",
    "MMLU_college_medicine": "mmlu_college_medicine",
    "MMLU_professional_medicine": "mmlu_professional_medicine",
    "MMLU_medical_genetics": "mmlu_medical_genetics",
}


def files_for(sets: set[str]) -> list[str]:
    return [ARCHIVE]


class _Utf8Reader:
    """``read(n)`` -> text over a binary stream, reporting bytes read (for the progress bar)."""

    def __init__(self, raw, progress) -> None:
        self.raw, self.progress = raw, progress
        self.decoder = codecs.getincrementaldecoder("utf-8")()

    def read(self, n: int) -> str:
        data = self.raw.read(n)
        self.progress(len(data))
        return self.decoder.decode(data, final=not data)


def progress_total(files: dict[str, Path], sets: set[str]) -> tuple[int | None, str]:
    """Uncompressed size of the French file, for the progress bar's total (bytes)."""
    try:
        with zipfile.ZipFile(files[ARCHIVE]) as zf:
            return zf.getinfo(MEMBER).file_size, "B"
    except (KeyError, OSError, zipfile.BadZipFile):  # reported by iter_member, with its file
        return None, "B"


def _text(rec: dict, key: str, where: str) -> str:
    return text(rec, key, SOURCE, where)


def _options(rec: dict, key: str, letters: list[str], where: str) -> list[str]:
    value = rec.get(key)
    if not isinstance(value, dict) or sorted(value) != letters:
        got = sorted(value) if isinstance(value, dict) else value
        raise DataError(
            f"{SOURCE}: expected a mapping with the letters {letters}, got {got!r}",
            file=where,
            field=key,
        )
    return [_text(value, letter, where) for letter in letters]


def map_record(rec: Any, where: str) -> tuple[str, dict, dict] | None:
    """(set name, French record, English record) in our schema; None for a non-test record."""
    if not isinstance(rec, dict):
        raise DataError(f"{SOURCE}: expected a JSON object, got {type(rec).__name__}", file=where)
    if rec.get("split") not in (None, "test"):
        return None
    corpus = rec.get("corpus_name")
    if corpus not in CORPUS_TO_SET:
        raise DataError(
            f"{SOURCE}: unknown corpus_name {corpus!r}; expected one of {', '.join(CORPUS_TO_SET)}",
            file=where,
            field="corpus_name",
        )
    es = BY_NAME[CORPUS_TO_SET[corpus]]
    ident = rec.get("identifier")
    if not isinstance(ident, (str, int)) or isinstance(ident, bool) or not str(ident).strip():
        raise DataError(f"{SOURCE}: missing or empty identifier", file=where, field="identifier")
    letters = list(es.letters)
    if rec.get("classes") != letters:
        raise DataError(
            f"{SOURCE}: {corpus} expects the letters {letters}, got {rec.get('classes')!r}",
            file=where,
            field="classes",
        )
    answer = rec.get("correct_answer_letter")
    if answer not in letters:
        raise DataError(
            f"{SOURCE}: expected one of {', '.join(letters)}, got {answer!r}",
            file=where,
            field="correct_answer_letter",
        )
    fr = {
        "id": str(ident),
        "question": _text(rec, "question_translated", where),
        "options": _options(rec, "options_translated", letters, where),
        "answer": answer,
    }
    en = {
        "id": str(ident),
        "question": _text(rec, "question", where),
        "options": _options(rec, "options", letters, where),
        "answer": answer,
    }
    if es.has_context:  # PubMedQA: the abstract, translated
        fr["context"] = _text(rec, "context_translated", where)
        en["context"] = _text(rec, "context", where)
    return es.name, fr, en


def iter_member(archive: Path, progress=lambda n: None) -> Iterator[tuple[int, Any]]:
    """(index, record) of the French file, streamed out of the zip."""
    label = f"{archive.name}:{MEMBER}"
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"{SOURCE}: not a readable zip archive ({exc})", file=archive) from exc
    with zf:
        if MEMBER not in zf.namelist():
            raise DataError(f"{SOURCE}: the archive has no {MEMBER}", file=archive)
        with zf.open(MEMBER) as raw:
            yield from enumerate(iter_json_list(_Utf8Reader(raw, progress), file=label))


def convert(files: dict[str, Path], sets: set[str], progress) -> Iterator[tuple[str, dict, str]]:
    """Yield (set, record, where) for the wanted French sets and English twins."""
    archive = files[ARCHIVE]
    for index, rec in iter_member(archive, progress):
        where = f"{archive.name}:{MEMBER}[{index}]"
        mapped = map_record(rec, where)
        if mapped is None:
            continue
        name, fr, en = mapped
        if name in sets:
            yield name, fr, where
        if f"en_{name}" in sets:
            yield f"en_{name}", en, where
