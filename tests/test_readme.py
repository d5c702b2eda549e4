"""The README's commands point at things that exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_first_lines_hold_the_two_commands():
    block = README.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[0].endswith("medfr demo") and commands[1].endswith("python -m pytest -q")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install = commands[1].rsplit(" && ", 1)[0].replace("pip install ", "pip install -q ")
    assert install in ci and "\npython -m pytest -q\n" in ci


def test_every_file_the_readme_names_exists():
    paths = set(
        re.findall(r"(?:recipes|tasks|leaderboard|benchmarks)/[\w./-]+\.(?:yaml|py|j2|md)", README)
    )
    assert paths
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, missing


def test_console_scripts_named_in_the_readme_answer_help():
    for tool in ("medfr", "medfr-data", "medfr-train", "medfr-signif", "medfr-leaderboard"):
        assert f"`{tool}" in README or f"{tool} " in README
        exe = Path(sys.executable).with_name(tool)
        out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
