"""One exception family for bad input, so every command prints one clear line and exits 2.

Every error a user can cause is a :class:`MedfrError` carrying where it happened
(``file``, ``line``, ``field``) beside the message, always in that keyword order,
and prints as ``FILE:LINE: field: message``. The CLI layer (:mod:`medfr_eval.cli`)
turns it into ``error: ...`` on stderr and exit status 2; anything else that
escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path


class MedfrError(Exception):
    """A user-facing error: the message names what is wrong and where."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line, self.field = line, field
        super().__init__(self.format())

    def format(self) -> str:
        """``FILE:LINE: field: message``, leaving out the parts that are unknown."""
        parts = []
        if self.file is not None:
            parts.append(self.file + (f":{self.line}" if self.line is not None else ""))
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.field is not None:
            parts.append(str(self.field))
        parts.append(self.message)
        return ": ".join(parts)


class DataError(MedfrError):
    """Bad or missing evaluation data or lm-eval output."""


class LaunchError(MedfrError):
    """A bad launch request or accelerate config."""


class SignifError(DataError):
    """Bad runs or options for the significance tests."""


class BootstrapInputError(MedfrError, ValueError):
    """Arrays that cannot be bootstrapped (empty, different lengths, not finite).

    Also a ``ValueError`` so that library callers catching that keep working."""


class StudyError(MedfrError):
    """A bad study file, paper table or run folder of ``medfr study``."""


class DemoError(MedfrError):
    """A demo step failed or cannot run; the message names the step and its log file."""


def refuse_or_warn(
    err: MedfrError, *, lenient: bool, warn: Callable[[str], None], instead: str
) -> None:
    """The ``--lenient`` policy for a mismatch between inputs, in one place.

    Strict (the default) raises ``err``; lenient warns ``FILE: message
    (--lenient: INSTEAD)``, saying what is done instead, and lets the caller go on.
    """
    if not lenient:
        raise err
    warn(f"{err.file}: {err.message} (--lenient: {instead})")


def refuse_unknown_keys(
    mapping: dict,
    allowed: Iterable[str],
    *,
    error: type[MedfrError] = DataError,
    file: str | Path | None = None,
    prefix: str | None = None,
) -> None:
    """Raise ``error`` naming the first key of ``mapping`` not in ``allowed``, if any.

    A misspelt key in a user's YAML must stop the run, not be silently ignored;
    every file medfr reads says so in the same words (``prefix.key: unknown key;
    allowed: ...``)."""
    allowed = set(allowed)
    unknown = sorted(str(k) for k in mapping if k not in allowed)
    if unknown:
        field = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        raise error(f"unknown key; allowed: {', '.join(sorted(allowed))}", file=file, field=field)
