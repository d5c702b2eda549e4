"""ANR-MALADES/MediQAl: French medical exam questions in three configs (test split).

Read from the Hub's parquet conversion, ``refs/convert/parquet``, laid out as
``<config>/test/0000.parquet`` (the dataset card's own file names were not
checked; the conversion's layout is the Hub's convention). Columns: ``id``,
``clinical_case`` (may be empty: then no case is shown), ``question``;
``mcqu`` / ``mcqm`` add ``answer_a`` ... ``answer_e`` and ``correct_answers``
(format not documented: a list of letters or indices, or a string such as
"A,C", are all read and checked); ``oeq`` adds ``answer`` (the reference).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medfr_eval.errors import DataError
from medfr_eval.public_sources import letters_from
from medfr_eval.public_sources.frenchmedmcqa import OPTION_COLUMNS, text
from medfr_eval.public_sources.parquet_rows import count_rows, iter_rows

SOURCE = "ANR-MALADES/MediQAl"
CONFIG_OF_SET = {"mediqal_mcqu": "mcqu", "mediqal_mcqm": "mcqm", "mediqal_oeq": "oeq"}
BASE = ("id", "clinical_case", "question")
REQUIRED = {
    "mcqu": (*BASE, *OPTION_COLUMNS, "correct_answers"),
    "mcqm": (*BASE, *OPTION_COLUMNS, "correct_answers"),
    "oeq": (*BASE, "answer"),
}


def test_file(config: str) -> str:
    return f"{config}/test/0000.parquet"


def progress_total(files: dict[str, Path], sets: set[str]) -> tuple[int | None, str]:
    counts = [count_rows(files[test_file(CONFIG_OF_SET[s])]) for s in sets if s in CONFIG_OF_SET]
    return (None if None in counts else sum(c or 0 for c in counts)), "rows"


def files_for(sets: set[str]) -> list[str]:
    return [test_file(CONFIG_OF_SET[s]) for s in sorted(sets) if s in CONFIG_OF_SET]


def _record(set_name: str, config: str, row: dict, where: str) -> dict:
    ident = row.get("id")
    rec: dict = {
        "id": str(ident) if isinstance(ident, int) else text(row, "id", SOURCE, where),
        "question": text(row, "question", SOURCE, where),
    }
    case = row.get("clinical_case")
    if case is not None and not isinstance(case, str):
        raise DataError(
            f"{SOURCE}: expected a string or null, got {case!r}", file=where, field="clinical_case"
        )
    if case and case.strip():
        rec["context"] = case
    if config == "oeq":
        rec["answer"] = text(row, "answer", SOURCE, where)
        return rec
    rec["options"] = [text(row, c, SOURCE, where) for c in OPTION_COLUMNS]
    letters = letters_from(
        row.get("correct_answers"), "ABCDE", source=SOURCE, file=where, field="correct_answers"
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
        rec["answers"] = letters
    return rec


def convert(files: dict[str, Path], sets: set[str], progress) -> Iterator[tuple[str, dict, str]]:
    for set_name in sorted(sets):
        config = CONFIG_OF_SET[set_name]
        name = test_file(config)
        for index, row in iter_rows(
            files[name], REQUIRED[config], source=SOURCE, label=name, progress=progress
        ):
            where = f"{name}[{index}]"
            yield set_name, _record(set_name, config, row, where), where
