"""``medfr data contamination -o`` under faults: SIGTERM and kill -9 mid-write, a write
the file system refuses, two processes writing one report, an output that cannot be
written. The previous report stays whole or none is written; the rerun works."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from medfr_eval.cli import run
from medfr_eval.contamination import cli as cli_mod
from medfr_eval.contamination.cli import contamination
from medfr_eval.data.load import load_records

PRELUDE = """
import os, signal, sys
from medfr_eval.core import fileio
from medfr_eval.cli import run
from medfr_eval.contamination.cli import contamination
"""


@pytest.fixture()
def corpus(tmp_path):
    answer = load_records("kqa", "sample")[1]["answer"]
    path = tmp_path / "corpus.txt"
    path.write_text(f"Un texte de remplissage.\n\n{answer}\n", encoding="utf-8")
    return path


def _args(corpus, out, against="kqa") -> list[str]:
    return [str(corpus), "--against", against, "--data", "sample", "-o", str(out)]


def _child(patch: str, args: list[str]) -> subprocess.CompletedProcess:
    code = PRELUDE + textwrap.dedent(patch) + f"\nsys.exit(run(contamination, {args!r}))\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def _previous(corpus, out) -> bytes:
    assert run(contamination, _args(corpus, out, "frmedqa")) == 0
    return out.read_bytes()


def _temps(out) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f"{out.name}."))


def test_sigterm_mid_write_leaves_the_previous_report_and_no_temp(tmp_path, corpus):
    out = tmp_path / "c.json"
    before = _previous(corpus, out)
    patch = """
    real = os.fdopen
    class Slow:
        def __init__(self, fh): self.fh = fh
        def __enter__(self): return self
        def __exit__(self, *a): return self.fh.__exit__(*a)
        def write(self, text):
            self.fh.write(text[: len(text) // 2])
            os.kill(os.getpid(), signal.SIGTERM)
    fileio.os.fdopen = lambda *a, **k: Slow(real(*a, **k))
    """
    proc = _child(patch, _args(corpus, out))
    assert proc.returncode == 130, proc.stderr
    assert out.read_bytes() == before and _temps(out) == []


def test_kill_9_mid_write_leaves_the_previous_report_and_the_rerun_works(tmp_path, corpus):
    out = tmp_path / "c.json"
    before = _previous(corpus, out)
    patch = """
    def replace(a, b):  # the new report is written whole, not yet renamed into place
        os.kill(os.getpid(), signal.SIGKILL)
    fileio.os.replace = replace
    """
    assert _child(patch, _args(corpus, out)).returncode == -9
    assert out.read_bytes() == before
    assert run(contamination, _args(corpus, out)) == 0
    assert json.loads(out.read_text())["sets"]["kqa"]["contaminated_items"] == 1


def test_write_refused_by_the_file_system_is_one_line_and_keeps_the_previous_report(
    tmp_path, corpus
):
    out = tmp_path / "c.json"
    before = _previous(corpus, out)
    # a file size limit fails writes as a full disk does (EFBIG instead of ENOSPC)
    patch = """
    import resource
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))
    """
    proc = _child(patch, _args(corpus, out))
    assert proc.returncode == 2, proc.stderr
    err = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
    assert len(err) == 1 and err[0].startswith(f"error: {out}: cannot write: File too large")
    assert "Traceback" not in proc.stderr
    assert out.read_bytes() == before and _temps(out) == []


def test_two_processes_writing_one_report_leave_one_whole_report(tmp_path, corpus):
    out = tmp_path / "c.json"
    loop = "for _ in range(3):\n    assert run(contamination, {args!r}) == 0\n"
    procs = [
        subprocess.Popen([sys.executable, "-c", PRELUDE + loop.format(args=_args(corpus, out, s))],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for s in ("kqa", "frmedqa")
    ]  # fmt: skip
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read()
    rep = json.loads(out.read_text(encoding="utf-8"))
    assert list(rep["sets"]) in (["kqa"], ["frmedqa"])
    assert rep["totals"]["items"] == rep["sets"][next(iter(rep["sets"]))]["items"]
    assert _temps(out) == []


@pytest.mark.parametrize("where", ["folder", "under-a-file"])
def test_output_that_cannot_be_written_is_refused_before_the_scan(
    tmp_path, corpus, capsys, monkeypatch, where
):
    def never(*a, **k):
        raise AssertionError("the scan ran before the output was checked")

    monkeypatch.setattr(cli_mod, "scan_files", never)
    if where == "folder":  # click's own check of -o (a usage error)
        out = tmp_path / "out"
        out.mkdir()
        message = f"File '{out}' is a directory"
    else:
        (tmp_path / "afile").write_text("x")
        out = tmp_path / "afile" / "c.json"
        message = f"error: {out}: -o: {tmp_path / 'afile'} is a file, not a folder"
    assert run(contamination, _args(corpus, out)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
