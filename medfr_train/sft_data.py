"""The SFT data schema (JSONL) and its validator: ``medfr-train validate-sft FILE``.

One object per line (DEVELOPERS.md, "SFT data"):
``id`` str; ``type`` ``mcq`` | ``mcq_multi`` | ``open``; ``question`` str;
``options`` list[str] (MCQ types); ``answer`` a letter (``mcq``), a sorted list
of letters (``mcq_multi``) or a text (``open``); ``context`` optional str;
``source`` ``native`` | ``translated`` | ``synthetic``; ``explanation`` optional str.

A bad row is reported with file, line and field, so that a 30K-row file can be
fixed without guessing. Nothing is written. Rows come back with every text in
Unicode NFC (:func:`medfr_eval.core.textnorm.nfc`): a decomposed accent would give
the model other tokens for the same word than the evaluation prompts do.
"""

from __future__ import annotations

import string
from collections import Counter
from pathlib import Path
from typing import Any

from medfr_eval.core.jsonl import iter_jsonl
from medfr_eval.core.textnorm import nfc
from medfr_train.errors import SFTDataError

TYPES = ("mcq", "mcq_multi", "open")
SOURCES = ("native", "translated", "synthetic")
FIELDS = {"id", "type", "question", "options", "answer", "context", "source", "explanation"}
LETTERS = string.ascii_uppercase


def validate_row(row: Any, file: str | Path = "<row>", line: int | None = None) -> dict[str, Any]:
    """Check one item against the schema; return it with its texts in NFC or raise ``SFTDataError``."""

    def bad(fld: str, msg: str) -> SFTDataError:
        return SFTDataError(msg, file=file, line=line, field=fld)

    if not isinstance(row, dict):
        raise bad("row", "must be a JSON object")
    row = nfc(row)
    unknown = sorted(set(row) - FIELDS)
    if unknown:
        raise bad(unknown[0], f"unknown field; expected among {sorted(FIELDS)}")
    for fld in ("id", "type", "question", "answer", "source"):
        if fld not in row:
            raise bad(fld, "missing")
    if not isinstance(row["id"], str) or not row["id"].strip():
        raise bad("id", "must be a non-empty string")
    if row["type"] not in TYPES:
        raise bad("type", f"must be one of {list(TYPES)}, got {row['type']!r}")
    if not isinstance(row["question"], str) or not row["question"].strip():
        raise bad("question", "must be a non-empty string")
    if row["source"] not in SOURCES:
        raise bad("source", f"must be one of {list(SOURCES)}, got {row['source']!r}")
    for fld in ("context", "explanation"):
        if fld in row and row[fld] is not None and not isinstance(row[fld], str):
            raise bad(fld, "must be a string when present")
    kind = row["type"]
    if kind == "open":
        if "options" in row:
            raise bad("options", "open questions have no options")
        if not isinstance(row["answer"], str) or not row["answer"].strip():
            raise bad("answer", "must be a non-empty text for an open question")
        return row
    options = row.get("options")
    if not isinstance(options, list) or len(options) < 2:
        raise bad("options", "must be a list of at least 2 strings for an MCQ")
    if len(options) > len(LETTERS):
        raise bad("options", f"at most {len(LETTERS)} options")
    for i, opt in enumerate(options):
        if not isinstance(opt, str) or not opt.strip():
            raise bad(f"options[{i}]", "must be a non-empty string")
    valid = LETTERS[: len(options)]
    answer = row["answer"]
    if kind == "mcq":
        if not isinstance(answer, str) or answer not in valid:
            raise bad("answer", f"must be one letter among {list(valid)}, got {answer!r}")
    else:
        if not isinstance(answer, list) or not answer:
            raise bad("answer", "must be a non-empty list of letters for mcq_multi")
        for a in answer:
            if not isinstance(a, str) or a not in valid:
                raise bad("answer", f"letter {a!r} is not among {list(valid)}")
        if answer != sorted(set(answer)):
            raise bad("answer", 'letters must be sorted and unique, e.g. ["A", "C"]')
    return row


def validate_file(path: str | Path) -> list[dict[str, Any]]:
    """Read and check a whole JSONL file; the first bad row raises ``SFTDataError``."""
    path = Path(path)
    if not path.is_file():
        raise SFTDataError("not found", file=path, field="file")
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    # the one JSONL loop: UTF-8 whatever the locale, BOM dropped; bad bytes or JSON
    # name the file and line
    for lineno, obj, _ in iter_jsonl(path, error=SFTDataError, objects=False):
        row = validate_row(obj, path, lineno)
        if row["id"] in seen:
            raise SFTDataError(
                f"duplicate of line {seen[row['id']]}", file=path, line=lineno, field="id"
            )
        seen[row["id"]] = lineno
        rows.append(row)
    if not rows:
        raise SFTDataError("empty: no SFT item", file=path, field="file")
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Counts per type, per source and with/without context: what the study reports of its SFT set."""
    return {
        "type": dict(Counter(r["type"] for r in rows)),
        "source": dict(Counter(r["source"] for r in rows)),
        "context": dict(Counter("with" if r.get("context") else "without" for r in rows)),
    }


def print_summary(file: str | Path, rows: list[dict[str, Any]]) -> None:
    """A table of counts for a valid file (what ``medfr-train validate-sft`` prints)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{file}: {len(rows)} items valid")
    table.add_column("field")
    table.add_column("counts")
    for key, counts in summary(rows).items():
        table.add_row(key, ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    Console().print(table)
