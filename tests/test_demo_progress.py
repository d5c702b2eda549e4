"""What ``medfr demo`` prints while a step runs and when it ends, off a terminal (a pipe, CI)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from medfr_eval import demo
from medfr_eval.cli import main
from medfr_eval.demo import plan as demo_plan
from medfr_eval.demo import run as demo_run

RESULTS_TABLE = [
    "|    Tasks    |Version|Filter|n-shot|Metric|   |Value|   |Stderr|",
    "|-------------|------:|------|-----:|------|---|----:|---|-----:|",
    "|medfr_kqa    |      1|none  |     0|f1    |↑  |0.500|±  |0.1000|",
    "|medfr_medqa  |      1|none  |     0|acc   |↑  |0.250|±  |0.1300|",
]
GROUPS_TABLE = [
    "|   Groups   |Version|Filter|n-shot|Metric|   |Value|   |Stderr|",
    "|------------|------:|------|-----:|------|---|----:|---|-----:|",
    "|medfr_all   |      1|none  |      |acc   |↑  |0.250|±  |0.1300|",
]


def _printing(tmp_path: Path, lines: list[str]) -> str:
    """Code printing ``lines`` read from a file (so the shown command does not hold them)."""
    text = tmp_path / "log.txt"
    text.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"print(open({str(text)!r}, encoding='utf-8').read(), end='')"


def _one_unit_plan(monkeypatch, tmp_path: Path, code: str, **unit_kwargs) -> Path:
    """A one-step plan whose unit runs ``code`` (Python) and must leave ``done.txt``."""
    out = tmp_path / "demo"
    done = out / "done.txt"
    argv = [sys.executable, "-c", code + f"\nimport pathlib; pathlib.Path({str(done)!r}).touch()"]

    def check() -> None:
        if not done.is_file():
            raise demo.DemoError("missing done.txt")

    def plan(root: Path, fast: bool = False) -> dict[str, demo.Step]:
        unit = demo.Unit("unit", argv, check, **unit_kwargs)
        return {"base": demo.Step("base", "One step", (), [unit])}

    monkeypatch.setattr(demo_plan, "build_plan", plan)
    return out


def test_a_heartbeat_line_comes_while_a_long_step_runs(tmp_path, monkeypatch, capsys):
    """A step silent for minutes looked hung in a CI log: elapsed time and the last line."""
    assert demo_run.HEARTBEAT_S <= 30
    monkeypatch.setattr(demo_run, "HEARTBEAT_S", 0.5)
    code = "import time; print('chargement du modèle', flush=True); time.sleep(3)"
    out = _one_unit_plan(monkeypatch, tmp_path, code)
    assert main(["demo", "--out", str(out), "--steps", "base"]) == 0
    beats = [
        line
        for line in capsys.readouterr().out.splitlines()
        if "base / unit:" in line and "last log line: chargement du modèle" in line
    ]
    assert beats, "no heartbeat line"
    assert all(" s; last log line:" in line for line in beats)


def test_an_eval_step_ends_with_whole_tables(tmp_path, monkeypatch, capsys):
    """lm-eval's results and groups tables come whole, headers included."""
    log = ["progress 100%", "hf (pretrained=m), gen_kwargs: (None)", "", *RESULTS_TABLE, ""]
    log += [*GROUPS_TABLE, ""]
    code = _printing(tmp_path, log)
    out = _one_unit_plan(monkeypatch, tmp_path, code, shows_tables=True)
    assert main(["demo", "--out", str(out), "--steps", "base"]) == 0
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    for row in RESULTS_TABLE + GROUPS_TABLE:
        assert row in lines, row
    assert lines.index(RESULTS_TABLE[0]) < lines.index(GROUPS_TABLE[0])


@pytest.mark.parametrize(
    "tail",
    [
        GROUPS_TABLE[2:],  # rows whose header scrolled away
        ["|a|b|", "|c|d|", "|e|f|"],  # no separator row: not a table
    ],
)
def test_an_eval_step_never_ends_with_a_piece_of_a_table(tmp_path, monkeypatch, capsys, tail):
    code = _printing(tmp_path, ["done", *tail])
    out = _one_unit_plan(monkeypatch, tmp_path, code, shows_tables=True)
    assert main(["demo", "--out", str(out), "--steps", "base"]) == 0
    printed = capsys.readouterr().out
    assert not any(row in printed for row in tail)
