"""One exception family for bad input, so every CLI can print one clear line and exit 2."""

from __future__ import annotations

from pathlib import Path


class MedfrError(Exception):
    """A user-facing error: the message names what is wrong and where."""

    exit_code = 2


class DataError(MedfrError):
    """Bad or missing evaluation data; names the file, line and field when known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file, self.line, self.field = file, line, field
        where = []
        if file is not None:
            where.append(str(file) + (f":{line}" if line is not None else ""))
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)
