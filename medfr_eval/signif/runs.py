"""The runs ``medfr-signif`` compares: model folders read by the shared lm-eval reader, named.

Reading lm-eval's output is :mod:`medfr_eval.lmeval_output`'s job (the board
uses the same reader, so both accept the same folders). This module adds what
significance needs on top: every task must have its sample log, display names
(``--name RUN_DIR=NAME`` overrides) must be unique, and a model is found by its
name or the last part of it (``org/Model`` -> ``Model``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medfr_eval import lmeval_output as lo
from medfr_eval.core.errors import DataError, SignifError
from medfr_eval.core.sets import BY_TASK
from medfr_eval.core.textsafe import clean_name

Track = Callable[[Iterable[Any], str, int], Iterable[Any]]


def no_track(items: Iterable[Any], description: str, total: int) -> Iterable[Any]:
    return items


@dataclass
class Run:
    """One model's lm-eval output folder, with the per-item scores of each set."""

    name: str
    folder: Path
    model_name: str
    tasks: dict[str, lo.SampleLog]
    notes: list[str] = field(default_factory=list)
    #: The reader's view of each task (logged config: what :func:`lo.score_settings` reads).
    outputs: dict[str, lo.TaskOutput] = field(default_factory=dict)
    #: English twins' logs, keyed by their French task (``--translation-gap``).
    twins: dict[str, lo.SampleLog] = field(default_factory=dict)

    def dropped(self) -> list[tuple[str, int, int]]:
        """(task, items kept, items the run counts) where reading dropped items (--lenient)."""
        out = []
        for task, log in self.tasks.items():
            expected = self.outputs[task].n_effective if task in self.outputs else None
            total = max(log.n_logged, expected or 0)
            if log.n < total:
                out.append((task, log.n, total))
        return out

    @property
    def short_name(self) -> str:
        return short(self.name)


def short(name: str) -> str:
    return name.rstrip("/").rsplit("/", 1)[-1]


def load_run(
    folder: str | Path,
    *,
    name: str | None = None,
    tasks: Sequence[str] | None = None,
    cluster: bool = True,
    lenient: bool = False,
    warn: Callable[[str], None] | None = None,
    twins: bool = False,
) -> Run:
    """Read one model folder: the latest sample log of each medfr task in it.

    The run is named by the reader's one naming rule (:func:`lo.display_name`: run
    card, else the model, never a stage folder such as ``sft``) unless ``name``."""
    out = lo.read_run(folder, tasks=tasks, cluster=cluster, lenient=lenient, warn=warn,
                      twins=twins)  # fmt: skip
    logs = {t: o.log for t, o in out.tasks.items() if o.log is not None}
    notes = list(out.notes)
    for t, o in out.tasks.items():
        if o.log is None:
            notes.append(f"{out.folder}: {t} has no sample log of its latest run; skipped")
    if not logs:
        hint = " (results only: rerun lm_eval with --log_samples)" if out.tasks else ""
        among = f" among {', '.join(tasks)}" if tasks is not None else ""
        raise DataError(f"no sample log of a medfr set{among}{hint}", file=out.folder)
    return Run(
        name=name or out.display_name,
        folder=out.folder,
        model_name=out.model_name,
        tasks=logs,
        notes=notes,
        outputs={t: o for t, o in out.tasks.items() if o.log is not None},
        twins={lo.french_task(t): o.log for t, o in out.twins.items() if o.log is not None},
    )


def load_runs(
    paths: Sequence[str | Path],
    *,
    names: dict[str, str] | None = None,
    tasks: Sequence[str] | None = None,
    cluster: bool = True,
    lenient: bool = False,
    warn: Callable[[str], None] | None = None,
    track: Track = no_track,
    twins: bool = False,
) -> list[Run]:
    """Read every model folder under ``paths``.

    ``names`` overrides display names: a key is a run folder (or a path given on
    the command line that holds one model), or a model name from the results files.
    """
    if not paths:
        raise SignifError("no runs given", field="RUNS")
    for t in tasks or ():
        if t not in BY_TASK:
            raise SignifError(f"unknown medfr task {t!r}", field="--tasks")
    folders: list[tuple[Path, Path]] = []  # (given path, model folder)
    for p in paths:
        for f in lo.find_model_folders(p):
            if all(f.resolve() != g.resolve() for _, g in folders):
                folders.append((Path(p), f))
    runs = [
        load_run(folder, tasks=tasks, cluster=cluster, lenient=lenient, warn=warn, twins=twins)
        for _, folder in track(folders, "Reading sample logs", len(folders))
    ]
    _rename(runs, dict(names or {}), folders)
    seen: dict[str, Run] = {}
    for r in runs:
        if r.name in seen:
            raise SignifError(
                f"two runs are named {r.name!r} ({seen[r.name].folder} and {r.folder}); "
                "tell them apart with --name RUN_DIR=NAME",
                file=r.folder,
                field="model_name",
            )
        seen[r.name] = r
    return runs


def _rename(runs: list[Run], overrides: dict[str, str], folders: list[tuple[Path, Path]]) -> None:
    for key, new in overrides.items():
        hits = [r for r in runs if _override_matches(key, r, folders)]
        if not hits:
            known = ", ".join(f"{r.folder} ({r.model_name})" for r in runs)
            raise SignifError(f"matches no run; runs: {known}", field=f"--name {key}")
        if len(hits) > 1:
            raise SignifError(
                f"matches {len(hits)} runs; name a model folder instead", field=f"--name {key}"
            )
        hits[0].name = clean_name(new)


def _override_matches(key: str, run: Run, folders: list[tuple[Path, Path]]) -> bool:
    """A ``--name`` key names a run by model name, by its folder, or by the path
    given on the command line when that path holds this one model only."""
    if key in (run.model_name, run.name, lo.display_name(run.model_name)):
        return True
    kp = Path(key)
    if not kp.exists():
        return False
    kr = kp.resolve()
    if kr == run.folder.resolve():
        return True
    under_key = [f for g, f in folders if g.resolve() == kr]
    return len(under_key) == 1 and under_key[0].resolve() == run.folder.resolve()


def find_run(name: str, runs: Sequence[Run], field: str = "model") -> Run:
    """A run by its name, or by the last path part of its name (``org/Model`` -> ``Model``)."""
    for r in runs:
        if r.name == name:
            return r
    hits = [r for r in runs if r.short_name == short(name) or r.short_name == name]
    if len(hits) == 1:
        return hits[0]
    known = ", ".join(r.name for r in runs)
    why = "is ambiguous" if hits else "matches no run"
    raise SignifError(
        f"model {name!r} {why}; runs: {known} (rename with --name RUN_DIR=NAME)", field=field
    )
