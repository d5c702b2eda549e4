"""Running the demo: each unit's command in a subprocess, its log tailed live, markers after.

What is ours here is only the orchestration lm-eval, TRL and the other tools
do not provide: the order of steps, reuse of finished ones, the streamed
progress line and the log that a failure names.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from medfr_eval.cli import command_path
from medfr_eval.core.errors import DemoError
from medfr_eval.core.fileio import write_json_atomic
from medfr_eval.demo import plan as plans
from medfr_eval.demo.next_steps import print_next_steps
from medfr_eval.demo.plan import STEP_NAMES, Layout, Step, Unit, display
from medfr_eval.demo.state import step_done, unit_done, write_marker
from medfr_eval.demo.summary import print_scores, summarize

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "PYTHONUNBUFFERED": "1",
}
#: Off a terminal, a progress line at least this often (seconds) while a step runs.
HEARTBEAT_S = 20.0
#: The row under a Markdown table's header: ``|---|:---:|``.
_SEPARATOR = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+$")


def _last_line(log: Path) -> str:
    """The last visible line of a log that progress bars rewrite with carriage returns."""
    try:
        with log.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 4096))
            tail = f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    for part in reversed(tail.replace("\r", "\n").split("\n")):
        if part.strip():
            return part.strip()
    return ""


def _tail(log: Path, n: int = 15) -> list[str]:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    lines = [ln.split("\r")[-1] for ln in text.splitlines()]
    return [ln for ln in lines if ln.strip()][-n:]


def _table_blocks(lines: list[str]) -> list[list[str]]:
    """The Markdown tables of a log, each whole: header, separator row, body."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.startswith("|"):
            current.append(line)
            continue
        if len(current) >= 3 and _SEPARATOR.match(current[1]):
            blocks.append(current)
        current = []
    return blocks


def _final_tables(log: Path) -> list[str]:
    """lm-eval's closing tables (results, then groups), whole, or nothing.

    Why not the log's last lines: they are the bottom rows of the groups table,
    without its header, which tell the reader nothing."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    blocks = _table_blocks([ln.split("\r")[-1].rstrip() for ln in text.splitlines()])
    out: list[str] = []
    for block in blocks[-2:]:
        out += ([""] if out else []) + block
    return out


def _child_setup() -> None:
    """In the child, before it runs: end with the demo (Linux), even after a ``kill -9``.

    Why: an orphaned training or lm-eval run would go on writing into the folder a
    rerun of the demo writes into; SIGTERM lets it clean its own temporary files."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _watch(console, label: str, argv: list[str], env: dict, cwd: Path, log: Path) -> int:
    """Run ``argv`` into ``log``, showing its progress; returns the exit code.

    On a terminal the log's last line stays under a spinner; elsewhere (a pipe, a
    CI log) a heartbeat line with the elapsed time and the log's last line comes
    every :data:`HEARTBEAT_S` seconds, so a long step never looks hung.
    Ctrl-C stops the child (terminate, then kill) before propagating."""
    from rich.markup import escape

    t0 = beat = time.monotonic()
    live = console.is_terminal
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd, preexec_fn=_child_setup
        )
        try:
            with console.status(label) if live else contextlib.nullcontext() as status:
                while proc.poll() is None:
                    now = time.monotonic()
                    if live:
                        line = _last_line(log)[: max(20, console.width - 30)]
                        status.update(f"{label} [dim]{now - t0:5.0f} s[/] {escape(line)}")
                    elif now - beat >= HEARTBEAT_S:
                        beat = now
                        console.print(
                            f"  [dim]{escape(label)}: {now - t0:.0f} s; last log line: "
                            f"{escape(_last_line(log))}[/]",
                            highlight=False,
                        )
                    time.sleep(0.25)
        except KeyboardInterrupt:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise
    return proc.returncode


def run_unit(console, step: Step, unit: Unit, lay: Layout, force: bool) -> tuple[float, Path]:
    """Run one command, its output going to ``logs/<step>__<unit>.log`` and tailed live."""
    from rich.markup import escape

    argv = list(unit.argv)
    if force and unit.force_flag:
        argv.append(unit.force_flag)
    env_shown = " ".join(f"{k}={shlex.quote(v)}" for k, v in unit.env.items())
    console.print(
        f"[bold cyan]$[/] {escape((env_shown + ' ') if env_shown else '')}{escape(display(argv))}"
    )
    for path in [*unit.clean, *([plans.partial(unit.output)] if unit.output else [])]:
        _remove(path)
    if unit.prepare is not None:
        unit.prepare()
    lay.logs.mkdir(parents=True, exist_ok=True)
    log = lay.logs / f"{step.name}__{unit.name}.log"
    env = {**os.environ, **OFFLINE_ENV, **unit.env}
    t0 = time.monotonic()
    code = _watch(console, f"{step.name} / {unit.name}", argv, env, lay.root, log)
    wall = time.monotonic() - t0
    if not console.is_terminal and code == 0:
        # whole lines, whole tables: a cut message or a headerless table tells nothing
        shown = _final_tables(log) if unit.shows_tables else _tail(log, 3)
        for line in shown:
            console.print(f"  [dim]{escape(line)}[/]", highlight=False)
    if code != 0:
        for line in _tail(log):
            console.print(f"  [red]{escape(line)}[/]")
        raise DemoError(
            f"step {step.name} ({unit.name}) failed with exit code {code}; full log: {log}"
        )
    if unit.output is not None:
        try:
            _move_into_place(plans.partial(unit.output), unit.output, unit.check)
        except DemoError as e:
            raise DemoError(
                f"step {step.name} ({unit.name}): {e}; the previous output is kept; log: {log}"
            ) from None
    return wall, log


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _move_into_place(new: Path, final: Path, check=None) -> None:
    """Replace ``final`` by the finished ``new`` folder with two renames.

    ``check`` reads the new folder in place; when it fails the previous folder
    goes back (a command can exit 0 having written half: lm-eval only warns
    when a full disk stops its sample logs). A kill between the renames leaves
    the previous folder under ``.NAME.previous`` and no half-written one; the
    next run of the unit starts clean either way."""
    old = final.with_name(f".{final.name}.previous")
    _remove(old)
    if final.exists() or final.is_symlink():
        final.rename(old)
    new.rename(final)
    if check is not None:
        try:
            check()
        except DemoError:
            final.rename(new)
            if old.exists() or old.is_symlink():
                old.rename(final)
            raise
    _remove(old)


def reported_model(log: Path, cwd: Path) -> str | None:
    """The ``model: DIR`` line that ``medfr train recipe`` prints last (relative to its cwd)."""
    found = None
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.split("\r")[-1]
        if line.startswith("model: "):
            found = line[len("model: ") :].strip()
    return str((cwd / found).resolve()) if found else None


def select_steps(steps: str | Sequence[str] | None) -> list[str]:
    """Parse ``--steps a,b``; keep the demo's order whatever the user's."""
    if steps is None:
        return list(STEP_NAMES)
    names = steps.split(",") if isinstance(steps, str) else list(steps)
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in STEP_NAMES]
    if unknown or not names:
        raise DemoError(
            f"unknown step {unknown[0] if unknown else '(none given)'!r}; "
            f"steps: {', '.join(STEP_NAMES)}",
            field="--steps",
        )
    return [n for n in STEP_NAMES if n in names]


def _check_needs(lay: Layout, plan: dict[str, Step], name: str, wanted: list[str], out) -> None:
    """A step whose upstream is neither selected nor done is one clear error with the fix."""
    for need in plan[name].needs:
        if need not in wanted and not step_done(lay, plan, need):
            raise DemoError(
                f"step {name} needs step {need}, which is not done (or is out of date) "
                f"in {lay.root}; run: {command_path('demo')} --out {shlex.quote(str(out))} "
                f"--steps {need},{name}"
            )


def _run_step(
    console, lay: Layout, plan: dict[str, Step], name: str, fast: bool, force: bool
) -> None:
    """Every unit of one step: reused when done (unless ``--force``), else run and recorded."""
    step = plan[name]
    for unit in step.units:
        if not force and unit_done(lay, plan, step, unit):
            console.print(f"[green]✓[/] {unit.name}: already done, reused (--force to redo)")
            continue
        marker = lay.marker(step.name, unit.name)
        marker.unlink(missing_ok=True)
        wall, log = run_unit(console, step, unit, lay, force)
        model_dir = reported_model(log, lay.root) if unit.reports_model else None
        write_marker(lay, plan, step, unit, wall=wall, fast=fast, log=log, model_dir=model_dir)
        try:
            unit.check()
        except DemoError as e:
            marker.unlink(missing_ok=True)
            raise DemoError(f"step {step.name} ({unit.name}): {e}; log: {log}") from None
        console.print(f"[green]✓[/] {unit.name}: done in {wall:.0f} s")


def check_root(root: Path) -> None:
    """``--out`` must be a folder (or not exist yet): one line, not a traceback."""
    if root.exists() and not root.is_dir():
        raise DemoError(
            "exists and is not a folder; --out takes a folder", file=root, field="--out"
        )


def make_console():
    """A rich console that never cuts a message.

    Why: off a terminal (a pipe, a CI log) rich assumes 80 columns and wraps or
    cuts lines there; with ``soft_wrap`` a command, a path or a log line stays
    one whole line that can be copied (a terminal wraps it for display)."""
    from rich.console import Console

    return Console(soft_wrap=True)


def run_demo(
    out: str | Path = "medfr-demo",
    steps: str | Sequence[str] | None = None,
    fast: bool = False,
    force: bool = False,
    console=None,
) -> dict[str, Any]:
    """Run (or reuse) the selected steps, then print the score table, the site and next steps.

    Returns the score summary (also written to ``OUT/scores.json``).
    """
    from rich.rule import Rule

    console = console or make_console()
    lay = Layout(Path(out).resolve())
    wanted = select_steps(steps)
    check_root(lay.root)
    try:
        lay.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DemoError(f"cannot create it: {exc.strerror}", file=lay.root, field="--out") from None
    plans.build_plan(lay.root, fast=fast)  # fails early on a missing recipe or command
    console.print(Rule("medfr demo: the study in miniature, offline"))
    mode = "fast test run (--fast)" if fast else "full run"
    console.print(f"{mode}; folder: [bold]{lay.root}[/] (logs: {lay.logs})")
    t_start = time.monotonic()
    try:
        for i, name in enumerate(wanted, 1):
            # Rebuilt per step: commands below a training step name the model folder
            # that step recorded.
            plan = plans.build_plan(lay.root, fast=fast)
            # A plain line, not a rich Rule: a Rule cuts a long title with "…".
            console.print(f"\n[bold][{i}/{len(wanted)}] {name}[/]: {plan[name].title}")
            _check_needs(lay, plan, name, wanted, out)
            _run_step(console, lay, plan, name, fast, force)
    except OSError as exc:  # a full disk, a folder made read-only: say so in one line
        raise DemoError(
            f"cannot write: {exc.strerror or exc}; finished steps are kept for the next run",
            file=exc.filename or lay.root,
        ) from None
    summary = summarize(lay)
    if summary["models"]:
        write_json_atomic(lay.root / "scores.json", summary)
        print_scores(console, summary)
    console.print(f"Total time: {time.monotonic() - t_start:.0f} s")
    print_next_steps(console, lay, fast)
    return summary
