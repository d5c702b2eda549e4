"""qanastek/frenchmedmcqa: French pharmacy exam MCQ with one or more correct answers.

The repo's main branch has a loading script (not run: no ``trust_remote_code``);
the Hub's automatic parquet conversion sits on the branch
``refs/convert/parquet`` as ``default/<split>/0000.parquet``. Columns: ``id``,
``question``, ``answer_a`` ... ``answer_e``, ``correct_answers`` and
``number_correct_answers``. The authors' script types ``correct_answers`` as
``Sequence(ClassLabel(names=[...]))`` and ``number_correct_answers`` as a
``ClassLabel`` whose names are the counts (index 0 means "1"): the parquet
stores indices, and their names are read from the file's schema metadata
(:mod:`medfr_eval.data.public_sources.parquet_rows`), whatever their order. Names
that are not the letters a-e (any case) stop with one line naming the file and
the column. ``number_correct_answers`` is a cross-check: an item whose count
differs from its letters keeps its letters and is counted in the manifest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import LETTERS
from medfr_eval.data.public_sources import Tally, letters_from
from medfr_eval.data.public_sources.parquet_rows import count_rows, iter_rows

SOURCE = "qanastek/frenchmedmcqa"
TEST_FILE = "default/test/0000.parquet"
OPTION_COLUMNS = ("answer_a", "answer_b", "answer_c", "answer_d", "answer_e")
REQUIRED = {
    "id": "id",
    "question": "text",
    **{c: "text" for c in OPTION_COLUMNS},
    "correct_answers": "labels",
}
COUNT = "number_correct_answers"
#: the test file is ~0.2 MB; anything far beyond is not FrenchMedMCQA (or a bomb)
MAX_BYTES = 64 << 20
#: manifest note for an item whose number_correct_answers differs from its letters
COUNT_DIFFERS = "number_correct_answers_differs"


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


def ident(row: dict, source: str, where: str) -> str:
    value = row.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(row, "id", source, where)


def check_letter_names(names: dict[str, list[str]], column: str, *, source: str, file: str):
    """ClassLabel names of an answer column must be distinct letters a-e (any case)."""
    got = names.get(column)
    if got is None:
        return
    upper = [n.strip().upper() if isinstance(n, str) else n for n in got]
    if any(u not in tuple(LETTERS) for u in upper) or len(set(upper)) != len(upper):
        raise DataError(
            f"{source}: the column's ClassLabel names {got!r} are not distinct letters a-e, "
            "so its class indices cannot be read as answers",
            file=file,
            field=column,
        )


def _check_count_names(names: dict[str, list[str]], *, file: str) -> None:
    got = names.get(COUNT)
    if got is not None and not all(isinstance(n, str) and n.strip().isdigit() for n in got):
        raise DataError(
            f"{SOURCE}: the column's ClassLabel names {got!r} are not counts (1, 2, ...)",
            file=file,
            field=COUNT,
        )


def _count(value, where: str) -> int | None:
    """number_correct_answers as a number (its ClassLabel name, or a plain count)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise DataError(f"{SOURCE}: expected a count, got {value!r}", file=where, field=COUNT)


def convert(
    files: dict[str, Path], sets: set[str], progress, tally: Tally
) -> Iterator[tuple[str, dict, str]]:
    path = files[TEST_FILE]

    def check_names(names: dict[str, list[str]]) -> None:
        check_letter_names(names, "correct_answers", source=SOURCE, file=TEST_FILE)
        _check_count_names(names, file=TEST_FILE)

    rows = iter_rows(
        path,
        REQUIRED,
        source=SOURCE,
        label=TEST_FILE,
        max_bytes=MAX_BYTES,
        progress=progress,
        check_names=check_names,
    )
    for index, row in rows:
        where = f"{TEST_FILE}[{index}]"
        answers = letters_from(
            row.get("correct_answers"), LETTERS, source=SOURCE, file=where, field="correct_answers"
        )
        count = _count(row.get(COUNT), where)
        if count is not None and count != len(answers):
            tally.note("frenchmedmcqa", COUNT_DIFFERS)
        rec = {
            "id": ident(row, SOURCE, where),
            "question": text(row, "question", SOURCE, where),
            "options": [text(row, c, SOURCE, where) for c in OPTION_COLUMNS],
            "answers": answers,
        }
        yield "frenchmedmcqa", rec, where
