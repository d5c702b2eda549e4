"""`lm_eval --tasks medfr_all` finds our tasks with no --include_path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import medfr_eval
from medfr_eval import autoload
from medfr_eval.core.sets import GROUPS, SETS

ROOT = Path(__file__).resolve().parents[3]
ALL_NAMES = sorted([s.task for s in SETS] + list(GROUPS))


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDFR_")}
    env.update(HF_HUB_OFFLINE="1", **extra)
    return env


# include_defaults=False skips lm-eval's own ~10,000 task files (5 s or more per
# scan); the hook adds our folder either way. The CLI test below uses the defaults.
CHECK = (
    "import sys; from lm_eval.tasks import TaskManager; tm = TaskManager(include_defaults=False); "
    "names = set(tm.all_tasks); "
    f"missing = [n for n in {ALL_NAMES!r} if n not in names]; "
    "print('MISSING', missing) if missing else print('ALL-FOUND'); "
    "print('PATH', tm.task_index['medfr_all'].yaml_path)"
)


def _python(code: str, cwd: Path, python: str = sys.executable, timeout: int = 120, **env: str):
    """Run ``code`` in a new interpreter (outside the repo, clean MEDFR_* environment)."""
    return subprocess.run(
        [python, "-c", code],
        cwd=cwd,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_include_path_is_appended_once():
    ours = str(medfr_eval.tasks_dir())
    assert autoload.with_medfr_tasks(None) == [ours]
    assert autoload.with_medfr_tasks("/x") == ["/x", ours]
    assert autoload.with_medfr_tasks([ours]) == [ours]
    assert autoload.with_medfr_tasks(Path(ours) / ".." / Path(ours).name) == [
        Path(ours) / ".." / Path(ours).name
    ]


def test_patch_is_idempotent_and_keeps_arguments():
    class FakeManager:
        def __init__(self, verbosity=None, include_path=None, include_defaults=True, metadata=None):
            self.include_path, self.include_defaults, self.metadata = (
                include_path,
                include_defaults,
                metadata,
            )

    class Module:
        TaskManager = FakeManager

    autoload.patch_task_manager(Module)
    first = FakeManager.__init__
    autoload.patch_task_manager(Module)
    assert FakeManager.__init__ is first
    tm = FakeManager(None, "/a", False, metadata={"k": 1})
    assert tm.include_path == ["/a", str(medfr_eval.tasks_dir())]
    assert tm.include_defaults is False and tm.metadata == {"k": 1}


def test_python_api_returns_a_manager_with_our_tasks():
    tm = medfr_eval.task_manager(include_defaults=False)
    assert set(ALL_NAMES) <= set(tm.all_tasks)


def test_fresh_interpreter_finds_tasks_without_include_path(tmp_path):
    out = _python(CHECK, tmp_path)
    assert "ALL-FOUND" in out.stdout, out.stdout + out.stderr


def test_hook_costs_nothing_without_lm_eval(tmp_path):
    code = "import sys; print('lm_eval' in sys.modules, 'torch' in sys.modules, 'medfr_eval.autoload' in sys.modules)"
    out = _python(code, tmp_path)
    assert out.stdout.split() == ["False", "False", "True"], out.stderr


def test_switch_off_and_include_path_still_works(tmp_path):
    off = _python(CHECK, tmp_path, MEDFR_NO_AUTOLOAD="1")
    assert "MISSING" in off.stdout, off.stdout + off.stderr
    code = CHECK.replace(
        "TaskManager(", f"TaskManager(include_path={str(medfr_eval.tasks_dir())!r}, "
    )
    on = _python(code, tmp_path, MEDFR_NO_AUTOLOAD="1")
    assert "ALL-FOUND" in on.stdout, on.stdout + on.stderr


@pytest.mark.slow
def test_lm_eval_cli_lists_and_validates(tmp_path):
    lm_eval_bin = Path(sys.executable).with_name("lm-eval")
    listed = subprocess.run(
        [str(lm_eval_bin), "ls", "tasks"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert listed.returncode == 0, listed.stderr
    for name in ALL_NAMES:
        assert name in listed.stdout
    valid = subprocess.run(
        [str(lm_eval_bin), "validate", "--tasks", "medfr_all"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert valid.returncode == 0, valid.stdout + valid.stderr


@pytest.mark.slow
@pytest.mark.parametrize("editable", [False, True], ids=["wheel", "editable"])
def test_fresh_venv_install(tmp_path, editable):
    """Install medfr into a brand-new venv (deps borrowed from this one, no network)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Borrow this environment's packages (lm-eval, hatchling...) without its .pth files:
    # a path listed in a .pth is added to sys.path, but .pth files inside it are not run.
    ours = sysconfig.get_paths()["purelib"]
    Path(site, "_borrowed.pth").write_text(ours + "\n")
    src = tmp_path / "src"
    skip = shutil.ignore_patterns(
        ".git", ".venv", "venv", "__pycache__", "*.egg-info", "test-artifacts"
    )
    shutil.copytree(ROOT, src, ignore=skip)
    cmd = [str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
    cmd += ["-e", str(src)] if editable else [str(src)]
    built = subprocess.run(cmd, env=_env(), capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    out = _python(CHECK, tmp_path, python=str(py), timeout=180)
    assert "ALL-FOUND" in out.stdout, out.stdout + out.stderr
    where = out.stdout.split("PATH", 1)[1].strip()
    assert where.startswith(str(src)) == editable, where
