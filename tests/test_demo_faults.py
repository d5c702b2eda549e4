"""``medfr demo`` under faults: a file as ``--out``, ``kill -9`` mid-step, a full disk.

Each leaves the previous output of a step (or none), never half of one, and the
next run works.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from medfr_eval import demo
from medfr_eval.cli import main
from medfr_eval.demo import plan as demo_plan
from medfr_eval.demo import run as demo_run

#: A toy plan: one unit writing two files into its output folder, pausing between
#: them while ``pause`` exists (so a test can kill the demo half-way).
TOY_PLAN = """
import pathlib, sys
from medfr_eval import demo

def plan(root, fast=False):
    root = pathlib.Path(root)
    final = root / "made"
    part = demo.plan.partial(final)
    code = (
        "import os, pathlib, time, sys; p = pathlib.Path(sys.argv[1]); p.mkdir(parents=True); "
        "(p / 'one.txt').write_text('new'); "
        "pathlib.Path(sys.argv[2]).write_text(str(os.getpid())); "
        "[time.sleep(0.1) for _ in range(600) if pathlib.Path(sys.argv[3]).exists()]; "
        "(p / 'two.txt').write_text('new')"
    )
    argv = [sys.executable, "-c", code, str(part), str(root.parent / "child.pid"),
            str(root.parent / "pause")]

    def check():
        if sorted(q.name for q in final.glob("*.txt")) != ["one.txt", "two.txt"]:
            raise demo.DemoError(f"incomplete {final}")

    unit = demo.Unit("made", argv, check, output=final)
    return {"base": demo.Step("base", "Toy", (), [unit])}
"""


def _toy(tmp_path: Path, monkeypatch=None) -> Path:
    """The toy plan as a module in ``tmp_path`` (importable by a child process too)."""
    (tmp_path / "toy_plan.py").write_text(TOY_PLAN, encoding="utf-8")
    if monkeypatch is not None:
        monkeypatch.syspath_prepend(str(tmp_path))
        import importlib

        import toy_plan

        importlib.reload(toy_plan)
        monkeypatch.setattr(demo_plan, "build_plan", toy_plan.plan)
    return tmp_path / "demo"


def _previous_output(out: Path) -> None:
    """A finished folder from an earlier run, which a failed rerun must leave whole."""
    made = out / "made"
    made.mkdir(parents=True)
    for name in ("one.txt", "two.txt"):
        (made / name).write_text("old")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid)


def _state(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "zombie"
    return "zombie" if "\nState:\tZ" in status else "running"


def test_out_naming_a_file_is_one_line_and_exit_2(tmp_path, capsys):
    target = tmp_path / "afile"
    target.write_text("not a folder")
    for extra in ([], ["--list"]):
        assert main(["demo", "--steps", "signif", "--out", str(target), *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"error: {target}: --out: ")
        assert "not a folder" in err
    assert target.read_text() == "not a folder"


def test_kill_9_mid_step_leaves_the_previous_output_and_the_rerun_works(tmp_path, monkeypatch):
    out = _toy(tmp_path)
    _previous_output(out)
    (tmp_path / "pause").touch()
    script = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import toy_plan\n"
        "from medfr_eval.demo import plan, run\n"
        "plan.build_plan = toy_plan.plan\n"
        f"run.run_demo({str(out)!r}, steps='base')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)])
    pid_file = tmp_path / "child.pid"
    deadline = time.monotonic() + 120
    while not pid_file.is_file() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pid_file.is_file(), "the step never started"
    child = int(pid_file.read_text())
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the step's process outlived the demo"
    made = out / "made"
    assert {p.name: p.read_text() for p in made.iterdir()} == {"one.txt": "old", "two.txt": "old"}

    (tmp_path / "pause").unlink()
    _toy(tmp_path, monkeypatch)
    demo.run_demo(out, steps="base")
    assert {p.name: p.read_text() for p in made.iterdir()} == {"one.txt": "new", "two.txt": "new"}
    assert not demo_plan.partial(made).exists()
    marker = json.loads((out / "state" / "base__made.json").read_text())
    assert marker["unit"] == "made"


def test_a_full_disk_is_one_line_keeps_the_previous_output_and_the_rerun_works(
    tmp_path, monkeypatch, capsys
):
    out = _toy(tmp_path, monkeypatch)
    _previous_output(out)
    real_move = demo_run._move_into_place

    def disk_full(new: Path, final: Path, check=None) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(final))

    monkeypatch.setattr(demo_run, "_move_into_place", disk_full)
    assert main(["demo", "--out", str(out), "--steps", "base"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and str(out / "made") in err
    made = out / "made"
    assert {p.name: p.read_text() for p in made.iterdir()} == {"one.txt": "old", "two.txt": "old"}
    assert not (out / "state" / "base__made.json").exists()

    monkeypatch.setattr(demo_run, "_move_into_place", real_move)
    assert main(["demo", "--out", str(out), "--steps", "base"]) == 0
    assert {p.name: p.read_text() for p in made.iterdir()} == {"one.txt": "new", "two.txt": "new"}


def test_a_failed_step_leaves_the_previous_output_whole(tmp_path, monkeypatch):
    out = _toy(tmp_path, monkeypatch)
    _previous_output(out)
    import toy_plan

    def failing(root, fast=False):
        steps = toy_plan.plan(root, fast)
        steps["base"].units[0].argv[2] += "; sys.exit(3)"
        return steps

    monkeypatch.setattr(demo_plan, "build_plan", failing)
    with pytest.raises(demo.DemoError, match="failed with exit code 3"):
        demo.run_demo(out, steps="base")
    made = out / "made"
    assert {p.name: p.read_text() for p in made.iterdir()} == {"one.txt": "old", "two.txt": "old"}


def test_a_step_that_exits_0_with_half_its_output_keeps_the_previous_one(tmp_path, monkeypatch):
    """lm-eval exits 0 when a full disk stopped its sample logs: the output is read back
    before it replaces the previous one."""
    out = _toy(tmp_path, monkeypatch)
    _previous_output(out)
    import toy_plan

    def half(root, fast=False):
        steps = toy_plan.plan(root, fast)
        code = steps["base"].units[0].argv[2]
        steps["base"].units[0].argv[2] = code.replace("; (p / 'two.txt').write_text('new')", "")
        return steps

    monkeypatch.setattr(demo_plan, "build_plan", half)
    with pytest.raises(demo.DemoError, match="the previous output is kept"):
        demo.run_demo(out, steps="base")
    made = out / "made"
    assert {p.name: p.read_text() for p in made.iterdir()} == {"one.txt": "old", "two.txt": "old"}
    assert not (out / "state" / "base__made.json").exists()
