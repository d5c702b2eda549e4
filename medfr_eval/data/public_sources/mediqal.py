"""ANR-MALADES/MediQAl: French medical exam questions in three configs (test split).

Files: the dataset card's own ``configs`` (no loading script), read at the pinned
commit: ``mcqu/test.json``, ``mcqm/test.json``, ``oeq/test.json`` (a JSON list
or JSON Lines, :mod:`medfr_eval.data.public_sources.json_records`). Fields, as the
card's ``dataset_info`` types them (all strings) and as the authors' own code
reads them (abazoge/MediQAl: ``inference/prepare_dataset.py``,
``sft/create_dataset_SFT.py``, ``evaluation/mcq*/eval_*.py``):

* ``id``, ``question``, ``clinical_case`` (null when the question has no case:
  then no case is shown; an empty string is read the same way),
  ``medical_subject`` (one of 41) and ``question_type`` (``Understanding`` or
  ``Reasoning``; the authors report every score split by it, so medfr keeps
  both labels in each doc and its MediQAl tasks report per-type metrics);
* ``mcqu`` / ``mcqm``: ``answer_a`` ... ``answer_e`` and ``correct_answers``,
  a string of upper-case letters separated by commas without spaces (``"B"``,
  ``"A,C"``): the primary form; a list of letters, lower case or spaces after
  the commas are read too;
* ``oeq``: ``answer`` (the reference) and ``cc_question_number`` (not used).

``mcqu`` must have exactly one letter per item (else one line). ``mcqm`` is
defined as multi-answer: an item with fewer than two letters is kept (the
authors' evaluation keeps it) and counted in the manifest, with a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import LETTERS, QUESTION_TYPES
from medfr_eval.data.public_sources import Tally, letters_from
from medfr_eval.data.public_sources.frenchmedmcqa import OPTION_COLUMNS, ident, text
from medfr_eval.data.public_sources.json_records import iter_json_records

SOURCE = "ANR-MALADES/MediQAl"
CONFIG_OF_SET = {"mediqal_mcqu": "mcqu", "mediqal_mcqm": "mcqm", "mediqal_oeq": "oeq"}
#: the largest test file is a few MB; anything far beyond is not MediQAl
MAX_BYTES = 256 << 20
#: manifest note for an MCQM item with fewer than two correct letters
FEWER_THAN_TWO = "fewer_than_two_answers"


def test_file(config: str) -> str:
    return f"{config}/test.json"


def progress_total(files: dict[str, Path], sets: set[str]) -> tuple[int | None, str]:
    names = [test_file(CONFIG_OF_SET[s]) for s in sets if s in CONFIG_OF_SET]
    return sum(files[n].stat().st_size for n in names if files[n].is_file()), "B"


def files_for(sets: set[str]) -> list[str]:
    return [test_file(CONFIG_OF_SET[s]) for s in sorted(sets) if s in CONFIG_OF_SET]


def _question_type(row: dict, where: str) -> str:
    value = row.get("question_type")
    if isinstance(value, str):
        for known in QUESTION_TYPES:
            if value.strip().lower() == known.lower():
                return known
    raise DataError(
        f"{SOURCE}: expected one of {', '.join(QUESTION_TYPES)}, got {value!r}",
        file=where,
        field="question_type",
    )


def _case(row: dict, where: str) -> str | None:
    case = row.get("clinical_case")
    if case is not None and not isinstance(case, str):
        raise DataError(
            f"{SOURCE}: expected a string or null, got {case!r}", file=where, field="clinical_case"
        )
    return case if case and case.strip() else None


def _record(set_name: str, config: str, row, where: str, tally: Tally) -> dict:
    if not isinstance(row, dict):
        raise DataError(f"{SOURCE}: expected a JSON object, got {type(row).__name__}", file=where)
    subject = row.get("medical_subject")
    if subject is not None and not isinstance(subject, str):
        raise DataError(
            f"{SOURCE}: expected a string, got {subject!r}", file=where, field="medical_subject"
        )
    rec: dict = {
        "id": ident(row, SOURCE, where),
        "question": text(row, "question", SOURCE, where),
        "question_type": _question_type(row, where),
        "medical_subject": subject or "",
    }
    case = _case(row, where)
    if case is not None:
        rec["context"] = case
    if config == "oeq":
        rec["answer"] = text(row, "answer", SOURCE, where)
        return rec
    rec["options"] = [text(row, c, SOURCE, where) for c in OPTION_COLUMNS]
    letters = letters_from(
        row.get("correct_answers"), LETTERS, source=SOURCE, file=where, field="correct_answers"
    )
    if config == "mcqu":
        if len(letters) != 1:
            raise DataError(
                f"{SOURCE}: a single-answer question (mcqu) has {len(letters)} answers",
                file=where,
                field="correct_answers",
            )
        rec["answer"] = letters[0]
    else:
        if len(letters) < 2:
            tally.note(set_name, FEWER_THAN_TWO)
        rec["answers"] = letters
    return rec


def convert(
    files: dict[str, Path], sets: set[str], progress, tally: Tally
) -> Iterator[tuple[str, dict, str]]:
    for set_name in sorted(sets):
        config = CONFIG_OF_SET[set_name]
        name = test_file(config)
        records = iter_json_records(files[name], label=name, max_bytes=MAX_BYTES, progress=progress)
        for index, row in records:
            where = f"{name}[{index}]"
            yield set_name, _record(set_name, config, row, where, tally), where
