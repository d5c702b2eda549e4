"""qanastek/frenchmedmcqa: French pharmacy exam MCQ with one or more correct answers.

The repo's main branch has a loading script (not run: no ``trust_remote_code``);
the Hub's automatic parquet conversion sits on the branch
``refs/convert/parquet`` as ``default/<split>/0000.parquet``. Columns: ``id``,
``question``, ``answer_a`` ... ``answer_e``, ``correct_answers`` (labels a-e;
the conversion may store them as class indices 0-4, both are read) and
``number_correct_answers`` (not used: the answers themselves are checked).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medfr_eval.errors import DataError
from medfr_eval.public_sources import letters_from
from medfr_eval.public_sources.parquet_rows import count_rows, iter_rows

SOURCE = "qanastek/frenchmedmcqa"
TEST_FILE = "default/test/0000.parquet"
OPTION_COLUMNS = ("answer_a", "answer_b", "answer_c", "answer_d", "answer_e")
REQUIRED = ("id", "question", *OPTION_COLUMNS, "correct_answers")


def progress_total(files: dict[str, Path], sets: set[str]) -> tuple[int | None, str]:
    return count_rows(files[TEST_FILE]), "rows"


def files_for(sets: set[str]) -> list[str]:
    return [TEST_FILE]


def text(row: dict, key: str, source: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DataError(
            f"{source}: expected a non-empty string, got {value!r}", file=where, field=key
        )
    return value


def convert(files: dict[str, Path], sets: set[str], progress) -> Iterator[tuple[str, dict, str]]:
    path = files[TEST_FILE]
    for index, row in iter_rows(path, REQUIRED, source=SOURCE, label=TEST_FILE, progress=progress):
        where = f"{TEST_FILE}[{index}]"
        rec = {
            "id": text(row, "id", SOURCE, where)
            if not isinstance(row.get("id"), int)
            else str(row["id"]),
            "question": text(row, "question", SOURCE, where),
            "options": [text(row, c, SOURCE, where) for c in OPTION_COLUMNS],
            "answers": letters_from(
                row.get("correct_answers"),
                "ABCDE",
                source=SOURCE,
                file=where,
                field="correct_answers",
            ),
        }
        yield "frenchmedmcqa", rec, where
