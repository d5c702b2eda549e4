"""BioMistral/BioInstructQA: the 10 translated sets (French) and their English originals.

Layout (from the dataset card and its loading script; the archive
itself could not be inspected when this was written, so every record is
checked): ``data.zip`` holds ``langs_processed/French-full.json``, ONE JSON list
over the 10 corpora. A record carries ``identifier``, ``corpus_name``,
``classes`` (the option letters), ``question`` / ``options`` / ``context``
(English) and ``question_translated`` / ``options_translated`` /
``context_translated`` (French); ``correct_answer_letter`` is shared.

The list is read as a stream from inside the zip (:mod:`medfr_eval.core.jsonstream`)
so memory does not grow with the archive. Test items: ``French-full.json`` is
what BioMistral's script serves as the French *test* split, so every record is
taken, except that a record carrying a ``split`` field other than ``test`` is
skipped and counted (none is expected; the count check against the study's
sizes catches a file that holds more).

Where BioMistral's own loader (``Data/Evaluation/BioInstructQA.py`` in
BioMistral/BioMistral) goes on, so does medfr, and it counts: a record of a
``corpus_name`` it does not know is skipped (``skipped: {corpus: n}`` in
MANIFEST.json and in the fetch's summary); a PubMedQA record whose English
``context`` is null loads without a context (the loader takes
``context_translated`` only when ``context`` is not null), counted as
``without_context``. Order: that loader shuffles the records (seed 42, three
times) before serving them; the fetched JSONL keeps the archive's order, and
medfr's loader serves every set in its own stable order (docs/data.md).

The archive is never extracted: the one member is opened by its exact name,
so members named ``../x`` or ``/x`` are never written anywhere. Its declared
size is bounded (:data:`MAX_MEMBER_BYTES`) and so is what is actually read;
an encrypted member, a compression method Python cannot read, a truncated or
corrupt archive each stop with one line naming the archive.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medfr_eval.core.errors import DataError
from medfr_eval.core.jsonstream import iter_json_list
from medfr_eval.core.sets import BY_NAME
from medfr_eval.data.public_sources import Tally
from medfr_eval.data.public_sources.frenchmedmcqa import text
from medfr_eval.data.public_sources.json_records import Utf8Reader

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


#: Bound on the French file once decompressed. The whole archive (8 languages, the
#: English train/validation/test files) is about 485 MB compressed; the French file
#: is a fraction of it. A member declaring more, or yielding more, is not read.
MAX_MEMBER_BYTES = 4 << 30
#: manifest note for a PubMedQA record served without its abstract
WITHOUT_CONTEXT = "without_context"


def files_for(sets: set[str]) -> list[str]:
    return [ARCHIVE]


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


def _pubmedqa_contexts(rec: dict, where: str) -> tuple[str | None, str | None]:
    """(French, English) abstract of a PubMedQA record, as BioMistral's loader takes them:
    the French one only when the English ``context`` is not null."""
    en = rec.get("context")
    fr = rec.get("context_translated") if en is not None else None
    for key, value in (("context", en), ("context_translated", fr)):
        if value is not None and not isinstance(value, str):
            raise DataError(
                f"{SOURCE}: expected a string or null, got {value!r}", file=where, field=key
            )
    return (fr if fr and fr.strip() else None), (en if en and en.strip() else None)


def map_record(rec: Any, where: str, tally: Tally | None = None) -> tuple[str, dict, dict] | None:
    """(set name, French record, English record) in our schema; None for a record that is
    skipped (another split, or a corpus the official loader does not know: counted)."""
    tally = tally if tally is not None else Tally()
    if not isinstance(rec, dict):
        raise DataError(f"{SOURCE}: expected a JSON object, got {type(rec).__name__}", file=where)
    if rec.get("split") not in (None, "test"):
        tally.skipped[f"split:{rec.get('split')}"] += 1
        return None
    corpus = rec.get("corpus_name")
    if corpus not in CORPUS_TO_SET:
        tally.skipped[corpus if isinstance(corpus, str) else repr(corpus)] += 1
        return None
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
        fr_context, en_context = _pubmedqa_contexts(rec, where)
        for name, out, context in ((es.name, fr, fr_context), (f"en_{es.name}", en, en_context)):
            if context is None:
                tally.note(name, WITHOUT_CONTEXT)
            else:
                out["context"] = context
    return es.name, fr, en


def _member(zf: zipfile.ZipFile, archive: Path) -> zipfile.ZipInfo:
    """The French file's entry, checked before anything is decompressed."""
    entries = [i for i in zf.infolist() if i.filename == MEMBER]
    if not entries:
        raise DataError(f"{SOURCE}: the archive has no {MEMBER}", file=archive)
    if len(entries) > 1:
        raise DataError(
            f"{SOURCE}: the archive holds {MEMBER} {len(entries)} times; which one is meant "
            "is not clear",
            file=archive,
        )
    info = entries[0]
    if info.file_size > MAX_MEMBER_BYTES:
        raise DataError(
            f"{SOURCE}: {MEMBER} declares {info.file_size:,} bytes once decompressed, over "
            f"medfr's bound of {MAX_MEMBER_BYTES:,} for this file; not read",
            file=archive,
        )
    if info.flag_bits & 0x1:
        raise DataError(
            f"{SOURCE}: {MEMBER} is encrypted; medfr reads plain archives", file=archive
        )
    return info


def iter_member(archive: Path, progress=lambda n: None) -> Iterator[tuple[int, Any]]:
    """(index, record) of the French file, streamed out of the zip."""
    label = f"{archive.name}:{MEMBER}"
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DataError(f"{SOURCE}: not a readable zip archive ({exc})", file=archive) from exc
    with zf:
        info = _member(zf, archive)
        try:
            raw = zf.open(info)
        except (NotImplementedError, RuntimeError, zipfile.BadZipFile, OSError) as exc:
            # a compression method zipfile cannot read (e.g. 99, AES), or encryption
            raise DataError(f"{SOURCE}: {MEMBER} cannot be read ({exc})", file=archive) from exc
        with raw:
            reader = Utf8Reader(raw, progress, limit=MAX_MEMBER_BYTES, label=label)
            try:
                yield from enumerate(iter_json_list(reader, file=label))
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                raise DataError(
                    f"{SOURCE}: the archive is damaged (truncated or corrupt: {exc})",
                    file=archive,
                ) from exc


def convert(
    files: dict[str, Path], sets: set[str], progress, tally: Tally
) -> Iterator[tuple[str, dict, str]]:
    """Yield (set, record, where) for the wanted French sets and English twins."""
    archive = files[ARCHIVE]
    for index, rec in iter_member(archive, progress):
        where = f"{archive.name}:{MEMBER}[{index}]"
        mapped = map_record(rec, where, tally)
        if mapped is None:
            continue
        name, fr, en = mapped
        if name in sets:
            yield name, fr, where
        if f"en_{name}" in sets:
            yield f"en_{name}", en, where
    for name in list(tally.notes):  # notes only for the sets asked for
        if name not in sets:
            del tally.notes[name]
