"""The paper's published figures (Tables 1-3), as a CSV shipped with the study file.

One figure a row: ``table,model,strategy,set,metric,value``. ``set`` is a set name
(``medqa_4opt``) or a table's mean column (``mean_translated``, ``mean_native``,
``mean_openqa``); ``metric`` is ``accuracy_pct`` (MCQ, in percent, as the paper prints
it) or ``bertscore_f1`` (open QA, on 0-1). Lines starting with ``#`` are comments (the
source of the figures says so in the file's first line). The values are kept as printed:
a figure printed with two decimals stands for anything that rounds to it, which
:attr:`PaperFigure.low` and :attr:`PaperFigure.high` give on medfr's 0-1 scale.

Every row is checked against the study: the model must be one of its models (with the
same strategy), the set one of its sets (a mean: every set of its family), the metric
the set's; one bad row stops with ``FILE:LINE: column: message``.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from medfr_eval.core.errors import StudyError
from medfr_eval.core.fileio import read_text_utf8
from medfr_eval.core.sets import BY_NAME, BY_TASK, FAMILIES

if TYPE_CHECKING:
    from .spec import Study

COLUMNS: tuple[str, ...] = ("table", "model", "strategy", "set", "metric", "value")
#: A table's mean column -> the family it averages (unweighted, as the paper's "Moyenne").
MEANS: dict[str, str] = {
    "mean_translated": "mcq_translated",
    "mean_native": "mcq_native",
    "mean_openqa": "openqa",
}
#: metric -> (how many of medfr's 0-1 units one printed unit is, the sets it goes with)
METRICS: dict[str, tuple[float, str]] = {
    "accuracy_pct": (100.0, "mcq"),
    "bertscore_f1": (1.0, "openqa"),
}


@dataclass(frozen=True)
class PaperFigure:
    """One published figure, as printed, with where it sits in the CSV."""

    table: str
    model: str
    strategy: str
    set: str  # a set name or a key of MEANS
    metric: str
    text: str  # the value as printed ("42.66")
    line: int

    @property
    def family(self) -> str:
        return MEANS.get(self.set) or BY_NAME[self.set].family

    @property
    def is_mean(self) -> bool:
        return self.set in MEANS

    @property
    def scale(self) -> float:
        return METRICS[self.metric][0]

    @property
    def value(self) -> float:
        """The figure on medfr's 0-1 scale (accuracy 42.66 % -> 0.4266)."""
        return float(self.text) / self.scale

    @property
    def half_unit(self) -> float:
        """Half of the printed figure's last digit, on the 0-1 scale (0.005 % -> 0.00005)."""
        exponent = Decimal(self.text).as_tuple().exponent
        return 0.5 * 10.0 ** int(exponent) / self.scale

    @property
    def low(self) -> float:
        return self.value - self.half_unit

    @property
    def high(self) -> float:
        return self.value + self.half_unit


def _rows(path: Path) -> list[tuple[int, dict]]:
    """(line, row) of every data line; comments and blank lines skipped, lines kept."""
    text = read_text_utf8(path, error=StudyError)
    lines = text.splitlines()
    kept = [
        (i + 1, ln) for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if not kept:
        raise StudyError("no header line (table,model,strategy,set,metric,value)", file=path)
    header_line, header = kept[0]
    names = next(csv.reader([header]))
    if tuple(n.strip() for n in names) != COLUMNS:
        raise StudyError(f"expected the columns {','.join(COLUMNS)}, got {header!r}", file=path,
                         line=header_line)  # fmt: skip
    out = []
    for lineno, ln in kept[1:]:
        cells = next(csv.reader(io.StringIO(ln)))
        if len(cells) != len(COLUMNS):
            raise StudyError(
                f"expected {len(COLUMNS)} cells, got {len(cells)}", file=path, line=lineno
            )
        out.append((lineno, dict(zip(COLUMNS, (c.strip() for c in cells), strict=True))))
    return out


def _check_value(path: Path, lineno: int, text: str, scale: float) -> None:
    try:
        Decimal(text)
        value = float(text)
    except (InvalidOperation, ValueError):
        raise StudyError(
            f"expected a number, got {text!r}", file=path, line=lineno, field="value"
        ) from None
    if not math.isfinite(value) or not 0 <= value <= scale:
        raise StudyError(f"expected a number in [0, {scale:g}], got {text}", file=path, line=lineno,
                         field="value")  # fmt: skip


def _check_set(path: Path, lineno: int, row: dict, study: Study) -> None:
    name = row["set"]
    have = {BY_TASK[t].name for t in study.leaves}
    if name in MEANS:
        family = MEANS[name]
        lacking = [
            s.name
            for s in BY_TASK.values()
            if s.family == family and s.in_study and s.name not in have
        ]
        if lacking:
            raise StudyError(f"{name} averages {FAMILIES[family]}, and the study lacks {', '.join(lacking)}",
                             file=path, line=lineno, field="set")  # fmt: skip
        kind = "openqa" if family == "openqa" else "mcq"
    elif name in BY_NAME:
        if name not in have:
            raise StudyError(f"set {name!r} is not among the study's sets (tasks: {', '.join(study.tasks)})",
                             file=path, line=lineno, field="set")  # fmt: skip
        kind = "openqa" if BY_NAME[name].kind.startswith("openqa") else "mcq"
    else:
        raise StudyError(f"unknown set {name!r} (a set name or one of {', '.join(MEANS)})", file=path,
                         line=lineno, field="set")  # fmt: skip
    wanted = next(m for m, (_, k) in METRICS.items() if k == kind)
    if row["metric"] != wanted:
        raise StudyError(f"{name} is reported as {wanted}, got {row['metric']!r}", file=path,
                         line=lineno, field="metric")  # fmt: skip


def load_paper_table(path: str | Path, study: Study) -> list[PaperFigure]:
    """Every figure of the CSV, each checked against ``study`` (module docstring)."""
    path = Path(path)
    figures: list[PaperFigure] = []
    seen: dict[tuple[str, str], int] = {}
    for lineno, row in _rows(path):
        if row["model"] not in study.names:
            raise StudyError(f"model {row['model']!r} is not a model of the study ({', '.join(study.names)})",
                             file=path, line=lineno, field="model")  # fmt: skip
        strategy = study.model(row["model"]).strategy
        if row["strategy"] != strategy:
            raise StudyError(f"the study lists {row['model']} as {strategy}, the table as {row['strategy']!r}",
                             file=path, line=lineno, field="strategy")  # fmt: skip
        _check_set(path, lineno, row, study)
        _check_value(path, lineno, row["value"], METRICS[row["metric"]][0])
        key = (row["model"], row["set"])
        if key in seen:
            raise StudyError(f"{row['model']}, {row['set']}: also on line {seen[key]}", file=path,
                             line=lineno, field="set")  # fmt: skip
        seen[key] = lineno
        figures.append(PaperFigure(row["table"], row["model"], row["strategy"], row["set"],
                                   row["metric"], row["value"], lineno))  # fmt: skip
    if not figures:
        raise StudyError("no figure in the table", file=path)
    return figures
