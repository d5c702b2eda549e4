"""Shell and SLURM scripts rendered from shipped Jinja templates, every value quoted for its place.

Why a template and filters rather than f-strings: a script mixes positions
with different rules (a command word, a ``#`` comment, an ``#SBATCH`` line that
sbatch parses itself, a variable name), and one value put in the wrong place
unquoted runs as a command (a path ending ``\\ntouch X`` inside a comment does).
Here every ``{{ value }}`` of a template goes through one of the filters below,
and the environment's ``finalize`` refuses any output that did not: a template
that forgets a filter fails to render instead of writing an unquoted value.

* ``shell_quote``: one word of a command (``shlex.quote``); numbers and
  :class:`Var` (a shell variable, ``"$NAME"``) too.
* ``command``: a list of words, each quoted, joined by spaces.
* ``comment``: text after ``#``; nothing there runs, so it is kept as written.
* ``sbatch``: an ``#SBATCH`` option, refused unless it is one token of plain
  characters (sbatch reads these lines with its own quoting rules, not bash's).
* ``varname``: a shell variable name.

Every filter refuses a line break or any other control character: in a comment
it would end the comment and start a command, and a path or a job name never
needs one. Refusals are one :class:`~medfr_eval.core.errors.LaunchError` line.

The templates (``recipes/launch/*.j2``, shipped as data) are rendered in
Jinja's immutable sandbox with undefined variables refused:

* ``batch.sbatch.j2``: any batch script (:class:`BatchScript`): directives,
  header comments, exports, then commands, or one command per task of a job
  array (``case $SLURM_ARRAY_TASK_ID``). Launchers with their own plumbing
  extend it and override its ``body`` block (``accelerate.sbatch.j2``).
* ``submit.sh.j2``: submit several batch scripts in order, each waiting for
  the ones it names (``--dependency=afterok``) (:class:`Submission`). It
  extends ``batch.sbatch.j2`` for its head: a submitter with ``#SBATCH``
  directives is itself a short job, and runs the same from a login shell.

This module imports only jinja2, so an evaluation launcher uses it as the
training launcher does.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox

from medfr_eval.core.errors import LaunchError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: what an ``#SBATCH`` option may hold: one token, no quotes, spaces nor shell characters.
_SBATCH = re.compile(r"-{0,2}[A-Za-z0-9_.:,=/@%+\-]+")
_JOB_ID = re.compile(r"[0-9]+(_[0-9]+)?")


class ShellText(str):
    """Text a filter made safe for its place in a script (the only output a template may give)."""


@dataclass(frozen=True)
class Var:
    """A shell variable used as one command word: rendered ``"$NAME"``, expanded by the shell."""

    name: str

    def __post_init__(self) -> None:
        if not _VARNAME.fullmatch(self.name):
            raise LaunchError(f"{self.name!r} is not a shell variable name", field="SLURM script")


Word = str | int | float | os.PathLike | Var | ShellText


def check_value(value: object, field: str) -> None:
    """Refuse a value holding a line break or another control character, naming ``field``.

    Callers check what the user gave (paths, names, arguments) with the flag or
    key it came from, before rendering; the filters check again, as a last guard."""
    text = os.fspath(value) if isinstance(value, os.PathLike) else value
    if isinstance(text, str) and _CONTROL.search(text):
        raise LaunchError(
            f"{text!r} holds a line break or control character, which a shell script "
            "cannot hold safely; rename it",
            field=field,
        )


def shell_quote(value: Word) -> ShellText:
    """One command word, quoted with ``shlex.quote`` (a :class:`Var` as ``"$NAME"``)."""
    if isinstance(value, ShellText):
        return value
    if isinstance(value, Var):
        return ShellText(f'"${value.name}"')
    if isinstance(value, bool) or not isinstance(value, (str, int, float, os.PathLike)):
        raise LaunchError(f"{value!r} is not a word of a command", field="SLURM script")
    text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
    check_value(text, "SLURM script")
    return ShellText(shlex.quote(text))


def command(words: Sequence[Word]) -> ShellText:
    """A command line: every word quoted, joined by spaces."""
    if isinstance(words, (str, bytes)):
        raise LaunchError(f"{words!r}: a command is a list of words", field="SLURM script")
    return ShellText(" ".join(shell_quote(w) for w in words))


def comment(text: object) -> ShellText:
    """Text for after a ``#``: kept as written, refused if it holds a line break."""
    text = os.fspath(text) if isinstance(text, os.PathLike) else str(text)
    check_value(text, "SLURM script")
    return ShellText(text)


def sbatch_option(option: str, field: str = "SLURM option") -> ShellText:
    """An ``#SBATCH`` option (``--nodes=4``), refused unless it is one plain token."""
    check_value(option, field)
    if not isinstance(option, str) or not _SBATCH.fullmatch(option):
        raise LaunchError(f"{option!r} has characters a batch script cannot hold", field=field)
    return ShellText(option)


def varname(name: str) -> ShellText:
    if not isinstance(name, str) or not _VARNAME.fullmatch(name):
        raise LaunchError(f"{name!r} is not a shell variable name", field="SLURM script")
    return ShellText(name)


def dependency(after: Sequence[str | Var]) -> ShellText:
    """``--dependency=afterok:`` followed by job ids and variables holding job ids, quoted."""
    parts = []
    for item in after:
        if isinstance(item, Var):
            parts.append(f'"${{{item.name}}}"')
        elif isinstance(item, str) and _JOB_ID.fullmatch(item):
            parts.append(item)
        else:
            raise LaunchError(f"expected a SLURM job id, got {item!r}", field="--dependency")
    return ShellText("--dependency=afterok:" + ":".join(parts))


def _finalize(value: Any) -> ShellText:
    """Every ``{{ }}`` output must come from a filter; anything else is a template bug."""
    if isinstance(value, ShellText):
        return value
    raise TypeError(f"template value {value!r} reached the script without a quoting filter")


def templates_dir() -> Path:
    """Where the shipped script templates are (``recipes/launch``)."""
    from medfr_eval.core.resources import recipes_dir

    return recipes_dir() / "launch"


@functools.cache
def environment() -> jinja2.Environment:
    """The sandboxed Jinja environment of the script templates, with the quoting filters."""
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        shell_quote=shell_quote,
        command=command,
        comment=comment,
        sbatch=sbatch_option,
        varname=varname,
        dependency=dependency,
    )
    return env


def render(template: str, **context: Any) -> str:
    """Render a shipped script template with ``context``."""
    return environment().get_template(template).render(**context)


@dataclass
class Step:
    """One command of a script, with comment lines above it."""

    argv: Sequence[Word]
    comments: list[str] = field(default_factory=list)


@dataclass
class BatchScript:
    """What a batch (or plain shell) script holds, in the order it is written.

    ``array``: one command per task of a SLURM job array; ``--array=0-(N-1)``
    (``%array_parallel`` tasks at a time) is added to the directives, and the
    script runs the command of its ``$SLURM_ARRAY_TASK_ID``. ``steps`` run
    before it, in every task."""

    directives: list[str] = field(default_factory=list)  # "--nodes=4": one #SBATCH line each
    comments: list[str] = field(default_factory=list)  # header, right after the shebang
    notes: list[str] = field(default_factory=list)  # "# note:" lines after the directives
    env: dict[str, str] = field(default_factory=dict)  # exported before the commands
    steps: list[Step] = field(default_factory=list)
    array: list[Sequence[Word]] = field(default_factory=list)
    array_parallel: int | None = None
    shebang: bool = True
    strict: bool = True  # set -euo pipefail

    def all_directives(self) -> list[str]:
        if not self.array or any(d.startswith("--array") for d in self.directives):
            return list(self.directives)
        limit = f"%{int(self.array_parallel)}" if self.array_parallel else ""
        return [*self.directives, f"--array=0-{len(self.array) - 1}{limit}"]


def render_batch(script: BatchScript, template: str = "batch.sbatch.j2", **context: Any) -> str:
    """A batch script from ``batch.sbatch.j2`` or a template extending it (``context`` for its body)."""
    for name in script.env:
        varname(name)
    return render(template, script=script, directives=script.all_directives(), **context)


@dataclass
class Submission:
    """One ``sbatch`` of a submit script: its job id lands in ``$var``."""

    var: str  # e.g. JOB_CPT
    script: str | Path  # the batch script to submit
    label: str  # printed with the job id
    after: list[str | Var] = field(default_factory=list)  # job ids or earlier submissions' Var
    #: sbatch options of the command line, one word each (``--output=DIR/%x-%j.out``).
    #: Why there rather than ``#SBATCH`` lines: the shell quotes them, so a path may hold
    #: spaces or quotes, which sbatch's own parsing of ``#SBATCH`` lines does not allow.
    options: list[str] = field(default_factory=list)


def render_submit(
    jobs: Iterable[Submission], comments: Iterable[str] = (), head: BatchScript | None = None
) -> str:
    """A script submitting ``jobs`` in order, each after those it names (``afterok``).

    ``head``: what comes before the submissions (directives, exports, steps), with
    ``comments`` added to its own; a submitter holds no job array."""
    head = head or BatchScript()
    if head.array:
        raise LaunchError("a submit script holds no job array", field="SLURM script")
    script = replace(head, comments=[*head.comments, *comments])
    return render_batch(script, "submit.sh.j2", jobs=list(jobs))
