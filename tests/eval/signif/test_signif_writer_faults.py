"""``medfr signif --out`` under faults: SIGTERM and kill -9 mid-write, a write the file
system refuses, two processes writing one folder, names that matplotlib would parse.
The previous outputs stay whole (or, killed between the two renames, none are left
and the next run puts them back or replaces them), the rerun works, nothing mixes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from medfr_eval.cli import signif_main as main

sys.path.insert(0, str(Path(__file__).parent))
from signif_fixtures import binary, write_run  # noqa: E402

PRELUDE = """
import os, signal, sys
from medfr_eval.signif import report
from medfr_eval.cli import signif_main
"""


def _runs(root: Path, a: str, b: str) -> Path:
    write_run(root, a, {"medfr_pubmedqa": binary(40, 30), "medfr_kqa": [0.5] * 20})
    write_run(root, b, {"medfr_pubmedqa": binary(40, 10), "medfr_kqa": [0.4] * 20})
    return root


def _child(patch: str, args: list[str]) -> subprocess.CompletedProcess:
    """``medfr signif ARGS`` in a fresh process after ``patch`` (Python) has run."""
    code = PRELUDE + textwrap.dedent(patch) + f"\nsys.exit(signif_main({args!r}))\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def _beside(out: Path) -> list[str]:
    """Temporary folders left beside ``--out`` (the lock file is expected)."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def _args(runs: Path, out: Path) -> list[str]:
    return [str(runs), "--out", str(out), "--resamples", "200"]


def _first(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    out = tmp_path / "res"
    assert main(_args(_runs(tmp_path / "o1", "a", "b"), out)) == 0
    return _runs(tmp_path / "o2", "c", "d"), out, _snapshot(out)


def test_sigterm_mid_write_leaves_previous_outputs_and_no_temp_folder(tmp_path):
    runs, out, before = _first(tmp_path)
    patch = """
    def term(fig, path, name):
        os.kill(os.getpid(), signal.SIGTERM)
    report._save_plot = term
    """
    proc = _child(patch, _args(runs, out))
    assert proc.returncode == 130, proc.stderr
    assert _snapshot(out) == before
    assert _beside(out) == [".res.lock"]


def test_kill_9_mid_write_leaves_previous_outputs_and_the_rerun_works(tmp_path):
    runs, out, before = _first(tmp_path)
    patch = """
    def kill(fig, path, name):
        os.kill(os.getpid(), signal.SIGKILL)
    report._save_plot = kill
    """
    assert _child(patch, _args(runs, out)).returncode == -9
    assert _snapshot(out) == before
    assert main(_args(runs, out)) == 0
    assert json.loads((out / "signif.json").read_text())["models"] == ["c", "d"]


def test_kill_9_between_the_renames_leaves_none_and_the_next_run_recovers(tmp_path):
    runs, out, before = _first(tmp_path)
    patch = """
    real, calls = os.replace, []
    def replace(a, b):
        calls.append(a)
        if len(calls) == 2:  # the previous outputs are moved aside, the new not yet in
            os.kill(os.getpid(), signal.SIGKILL)
        real(a, b)
    report.os.replace = replace
    """
    assert _child(patch, _args(runs, out)).returncode == -9
    assert not out.exists()  # none, never half
    strays = _beside(out)  # the dead run's folders: its new outputs, the previous ones
    assert [n.split("-")[0] for n in strays] == [".res.lock", ".res.old", ".res.tmp"]
    # the next writer, under the lock, puts the previous outputs back before anything else
    recover = (
        "from medfr_eval.core import fileio\nout = report.Path(sys.argv[1])\n"
        "with fileio.folder_lock(out):\n    fileio.recover_swap(out)\n"
    )
    proc = subprocess.run([sys.executable, "-c", PRELUDE + recover, str(out)],
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert _snapshot(out) == before
    assert main(_args(runs, out)) == 0  # and the rerun works
    assert json.loads((out / "signif.json").read_text())["models"] == ["c", "d"]
    assert not any(n.startswith(".res.old") for n in _beside(out))


def test_write_refused_by_the_file_system_is_one_line_and_keeps_previous_outputs(tmp_path):
    runs, out, before = _first(tmp_path)
    # a file size limit fails writes as a full disk does (EFBIG instead of ENOSPC)
    patch = """
    import resource
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
    """
    proc = _child(patch, _args(runs, out))
    assert proc.returncode == 2, proc.stderr
    err = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
    assert len(err) == 1 and err[0].startswith(f"error: {out}: --out: cannot write the outputs")
    assert "Traceback" not in proc.stderr
    assert _snapshot(out) == before and _beside(out) == [".res.lock"]


def test_two_processes_writing_one_out_never_mix(tmp_path):
    out = tmp_path / "res"
    sources = [_runs(tmp_path / "o1", "a", "b"), _runs(tmp_path / "o2", "c", "d")]
    loop = "for _ in range(3):\n    assert signif_main({args!r}) == 0\nsys.exit(0)\n"
    procs = [
        subprocess.Popen([sys.executable, "-c", PRELUDE + loop.format(args=_args(src, out))],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for src in sources
    ]  # fmt: skip
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read()
    models = json.loads((out / "signif.json").read_text())["models"]
    assert models in (["a", "b"], ["c", "d"])
    md, csv_text = (out / "signif.md").read_text(), (out / "signif.csv").read_text()
    others = {"a", "b", "c", "d"} - set(models)
    assert all(f"| {m} |" in md and m in csv_text for m in models)
    assert not any(f"| {m} |" in md or f",{m}," in csv_text for m in others)
    assert _beside(out) == [".res.lock"]


def test_dollar_signs_in_model_names_are_plotted_as_text(tmp_path):
    runs = tmp_path / "o"
    write_run(runs, "org/$x^2$ model", {"medfr_pubmedqa": binary(40, 30)})
    write_run(runs, "b", {"medfr_pubmedqa": binary(40, 10)})
    out = tmp_path / "res"
    argv = [
        str(runs),
        "--out",
        str(out),
        "--resamples",
        "200",
        "--name",
        r"b=$\frac{$ $\undefined$",
    ]
    assert main(argv) == 0
    data = json.loads((out / "signif.json").read_text())
    assert set(data["models"]) == {"org/$x^2$ model", r"$\frac{$ $\undefined$"}
    assert (out / "signif_wtl.png").stat().st_size > 0 and (out / "signif_wtl.svg").exists()
