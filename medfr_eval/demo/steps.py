"""What a demo step is: named commands (:class:`Unit`) with the checks of their outputs.

Kept apart from :mod:`medfr_eval.demo.plan`, which builds the steps, so that
step builders in other modules (:mod:`medfr_eval.demo.study_step`) use the same
classes without importing the plan that imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Unit:
    """One command of a step, with what it must leave behind.

    ``inputs`` are files whose content decides whether a finished unit is still
    valid (recipes, data); ``check`` reads the outputs and raises ``DemoError``
    when they are missing or do not parse.
    """

    name: str
    argv: list[str]
    check: Callable[[], None]
    inputs: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    clean: list[Path] = field(default_factory=list)  # removed before a (re)run
    # The folder this unit makes: its command writes ``partial(output)``, moved into place
    # only when the command succeeded, so a kill or a full disk leaves the previous one.
    output: Path | None = None
    force_flag: str | None = None  # passed on with --force (not part of the fingerprint)
    reports_model: bool = False  # prints "model: DIR" (medfr train), recorded in the marker
    prepare: Callable[[], None] | None = None  # writes small inputs just before the command
    shows_tables: bool = False  # off a terminal, end with the log's tables (lm-eval's results)


@dataclass
class Step:
    name: str
    title: str
    needs: tuple[str, ...]
    units: list[Unit]
