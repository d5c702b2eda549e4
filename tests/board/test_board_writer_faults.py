"""``medfr board build -o`` under faults: SIGTERM, kill -9, a full disk, two builds at once.

Each case leaves the previous site or the new one whole, never a mix, and the next
build works. The builds that must be interrupted run in a child process that pauses
half-way through writing the pages (before the CSV download), so the kill lands
while the temporary folder is half full.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from board_fixtures import build

import medfr_eval.board.sitedir as sitedir

PAUSED = """
import sys, time
from pathlib import Path
import medfr_eval.board.render as render
ready, go = Path(sys.argv[1]), Path(sys.argv[2])
real = render.table_csv
def paused(rows):
    ready.write_text("half of the pages written")
    while not go.exists():
        time.sleep(0.05)
    return real(rows)
render.table_csv = paused
from medfr_eval.cli import board_main
sys.exit(board_main(sys.argv[3:]))
"""
PLAIN = "import sys; from medfr_eval.cli import board_main; sys.exit(board_main(sys.argv[1:]))"
WAIT_S = 240  # builds of four models in a child process, on a loaded 2-core machine


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}  # fmt: skip


def leftovers(site: Path) -> list[str]:
    return sorted(p.name for p in site.parent.iterdir() if p.name.startswith(f".{site.name}."))


def build_args(runs, site: Path, *, signif: bool = True) -> list[str]:
    args = ["build", str(runs["out"]), "--board", str(runs["entries"]), "-o", str(site)]
    return args + (["--signif", str(runs["signif"])] if signif else [])


def spawn_paused(tmp: Path, args: list[str]) -> tuple[subprocess.Popen, Path, Path]:
    script = tmp / "paused_build.py"
    script.write_text(PAUSED)
    ready, go = tmp / "ready", tmp / "go"
    proc = subprocess.Popen([sys.executable, str(script), str(ready), str(go), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    wait_for(lambda: ready.exists() or proc.poll() is not None, "the build to pause")
    assert proc.poll() is None, proc.communicate()
    return proc, ready, go


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def previous(runs):
    """A site built earlier from other inputs (no signif file): what must survive."""
    site = runs["tmp"] / "site"
    assert build(runs, site, "--board", str(runs["tmp"] / "no-entries")) == 0
    return site, tree(site)


def test_sigterm_mid_write_removes_the_temp_folder_and_keeps_the_previous_site(runs, previous):
    site, before = previous
    proc, _, _ = spawn_paused(runs["tmp"], build_args(runs, site))
    assert any(".site.tmp-" in name for name in leftovers(site))  # half-written, beside
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert tree(site) == before
    assert [n for n in leftovers(site) if not n.endswith(".lock")] == []


def test_kill_9_mid_write_keeps_the_previous_site_and_the_rerun_cleans_up(runs, previous):
    site, before = previous
    proc, _, _ = spawn_paused(runs["tmp"], build_args(runs, site))
    proc.kill()
    proc.communicate(timeout=WAIT_S)
    assert tree(site) == before  # the previous site, whole
    assert any(".site.tmp-" in name for name in leftovers(site))  # what kill -9 leaves
    assert build(runs, site) == 0  # the rerun works ...
    fresh = runs["tmp"] / "fresh"
    assert build(runs, fresh) == 0
    assert tree(site) == tree(fresh)  # ... gives the whole new site ...
    assert [n for n in leftovers(site) if not n.endswith(".lock")] == []  # ... and tidies up


def test_two_builds_into_one_output_take_turns_and_never_mix(runs, previous):
    site, _ = previous
    first, _, go = spawn_paused(runs["tmp"], build_args(runs, site))
    log = runs["tmp"] / "second.err"
    with log.open("w") as err:
        second = subprocess.Popen([sys.executable, "-c", PLAIN,
                                   *build_args(runs, site, signif=False)],
                                  stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip

    def second_waits() -> bool:
        assert second.poll() is None, log.read_text()  # it must not finish meanwhile
        return "waiting for another build" in log.read_text()

    wait_for(second_waits, "the second build to wait for the first")
    go.write_text("go")
    _, err1 = first.communicate(timeout=WAIT_S)
    second.wait(timeout=WAIT_S)
    err2 = log.read_text()
    assert first.returncode == 0 and second.returncode == 0, (err1, err2)
    alone = runs["tmp"] / "alone"  # the second build's inputs, built on their own
    done = subprocess.run([sys.executable, "-c", PLAIN, *build_args(runs, alone, signif=False)],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert tree(site) == tree(alone)  # the last build's site, whole: nothing of the first
    assert [n for n in leftovers(site) if not n.endswith(".lock")] == []


def test_full_disk_is_one_line_and_keeps_the_previous_site(runs, previous, monkeypatch, capsys):
    site, before = previous
    real = Path.write_text
    written = []

    def full_disk(self, *args, **kwargs):
        if ".site.tmp-" in str(self):
            written.append(self)
            if len(written) > 5:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    capsys.readouterr()
    assert build(runs, site) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"error: {site}: cannot write the site: No space left on device"
    assert [line for line in err if line.startswith("error")] == err[-1:]
    monkeypatch.undo()
    assert tree(site) == before
    assert [n for n in leftovers(site) if not n.endswith(".lock")] == []
    assert build(runs, site) == 0


INNER = """
import hashlib, json, sys
from pathlib import Path
from medfr_eval.cli import board_main
mnt, args = Path(sys.argv[1]), json.loads(sys.argv[2])
site = mnt / "site"
def digest():
    return {str(p.relative_to(site)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}
out = {"first": board_main(args["small"] + ["-o", str(site)])}
before = digest()
try:
    with open(mnt / "fill", "wb") as fh:
        while True:
            fh.write(b"0" * 65536)
            fh.flush()
except OSError:
    pass
out["full"] = board_main(args["large"] + ["-o", str(site)])
out["kept"] = digest() == before
out["left"] = sorted(p.name for p in mnt.iterdir() if p.name.startswith(".site.")
                     and not p.name.endswith(".lock"))
(mnt / "fill").unlink()
out["rerun"] = board_main(args["large"] + ["-o", str(site)])
print(json.dumps(out))
"""


def test_full_disk_on_a_small_tmpfs(runs, tmp_path):
    if (
        shutil.which("unshare") is None
        or subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode
    ):
        pytest.skip("needs unshare -rm (user and mount namespaces) to mount a small tmpfs")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    (tmp_path / "inner.py").write_text(INNER)
    small = ["build", str(runs["out"]), "--board", str(tmp_path / "no-entries")]
    large = ["build", str(runs["out"]), "--board", str(runs["entries"]),
             "--signif", str(runs["signif"])]  # fmt: skip
    args = json.dumps({"small": small, "large": large})
    script = f'mount -t tmpfs -o size=8m tmpfs "{mnt}" && exec "{sys.executable}" "{tmp_path / "inner.py"}" "{mnt}" \'{args}\''
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True,
                          text=True, timeout=WAIT_S * 2)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out == {"first": 0, "full": 2, "kept": True, "left": [], "rerun": 0}, done.stderr
    assert "cannot write the site: No space left on device" in done.stderr
    assert "Traceback" not in done.stderr


def test_swap_by_two_renames_where_exchange_is_missing(runs, previous, monkeypatch):
    site, before = previous
    monkeypatch.setattr(sitedir, "_exchange", lambda a, b: False)
    assert build(runs, site) == 0
    assert tree(site) != before and (site / ".medfr-board").is_file()
    assert [n for n in leftovers(site) if not n.endswith(".lock")] == []
