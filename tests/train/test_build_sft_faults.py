"""`medfr-train build-sft` under faults: the previous output stays whole, or none; a rerun works.

Faults: a data card path that is a folder, a corrupt parquet source, a full disk
(a 1 MiB tmpfs where it can be mounted, else a write that fails with ENOSPC),
SIGTERM and ``kill -9`` while the rows are being written.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medfr_eval.cli import run
from medfr_train import build_sft as build_module
from medfr_train.build_sft import card_path
from medfr_train.build_sft_cli import build_sft_command

NO_DECONTAMINATION = ["--translated", "0", "--synthetic", "0", "--no-decontaminate"]


def write_source(path: Path, rows: int) -> Path:
    """A parquet source of ``rows`` native open questions written for these tests."""
    table = pa.table(
        {
            "instruction": [
                f"Décrivez la prise en charge du cas clinique {i}." for i in range(rows)
            ],
            "context": [None] * rows,
            "answer": [f"Bilan puis traitement adapté au cas {i}." for i in range(rows)],
            "type": ["oeq"] * rows,
            "origin": ["native"] * rows,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def temps(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.tmp"))


def build(source: Path, out: Path, native: int) -> int:
    return run(
        build_sft_command,
        [str(source), "-o", str(out), "--native", str(native), *NO_DECONTAMINATION],
    )


@pytest.fixture()
def previous(tmp_path):
    """A source and a first, good output with its card."""
    source = write_source(tmp_path / "src" / "s.parquet", 300)
    out = tmp_path / "out" / "sft.jsonl"
    assert build(source, out, 5) == 0
    return source, out, digest(out), digest(card_path(out))


def test_a_card_path_that_is_a_folder_leaves_the_previous_output(previous, capsys):
    source, out, rows_before, _ = previous
    card = card_path(out)
    card.unlink()
    card.mkdir()
    capsys.readouterr()
    assert build(source, out, 7) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == f"error: {card}: is a folder; give a file name (or move the folder)"
    assert digest(out) == rows_before and card.is_dir() and not temps(out.parent)


def test_a_corrupt_parquet_source_is_one_line(tmp_path, capsys):
    source = write_source(tmp_path / "s.parquet", 3000)
    data = bytearray(source.read_bytes())
    for i in range(200, len(data) // 2):  # the data pages; the footer stays readable
        data[i] ^= 0x5A
    source.write_bytes(bytes(data))
    out = tmp_path / "out" / "sft.jsonl"
    assert build(source, out, 5) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {source}: not a readable parquet file"), line
    assert not out.exists()


def test_a_write_that_fails_with_enospc_is_one_line_and_keeps_the_previous_output(
    previous, monkeypatch, capsys
):
    source, out, rows_before, card_before = previous
    real = build_module._write_rows

    def full_disk(chunks, keep, split, tmp):
        real(chunks, keep[:2], split, tmp)  # part of the rows, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(build_module, "_write_rows", full_disk)
    capsys.readouterr()
    assert build(source, out, 50) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == f"error: {out}: cannot write: No space left on device"
    assert (digest(out), digest(card_path(out))) == (rows_before, card_before)
    assert not temps(out.parent)
    monkeypatch.setattr(build_module, "_write_rows", real)
    assert build(source, out, 50) == 0  # the rerun works
    assert len(out.read_text(encoding="utf-8").splitlines()) == 50


@pytest.fixture()
def small_disk(tmp_path):
    """A 1 MiB tmpfs (needs root and a kernel that lets us mount); skipped elsewhere."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (the ENOSPC test above covers the path)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_full_disk_keeps_the_previous_output_and_the_rerun_works(tmp_path, small_disk, capsys):
    source = write_source(tmp_path / "src" / "s.parquet", 3000)
    out = small_disk / "sft.jsonl"
    assert build(source, out, 5) == 0
    before = (digest(out), digest(card_path(out)))
    filler = small_disk / "filler"
    with filler.open("wb") as fh:  # leave about 8 KiB free: far less than 3,000 rows
        free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        fh.write(b"\0" * max(0, free - 8192))
    capsys.readouterr()
    assert build(source, out, 3000) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == f"error: {out}: cannot write: No space left on device"
    assert (digest(out), digest(card_path(out))) == before
    assert not temps(small_disk)
    filler.unlink()
    assert build(source, out, 3000) == 0
    card = json.loads(card_path(out).read_text(encoding="utf-8"))
    assert card["output"]["rows"] == 3000 and card["output"]["sha256"] == digest(out)


#: the command in a subprocess, each row slowed down so that a signal lands mid-write.
SLOW_DRIVER = """
import sys, time
import medfr_train.build_sft as b
real = b.to_sft
def slow(*args, **kwargs):
    time.sleep(0.01)
    return real(*args, **kwargs)
b.to_sft = slow
from medfr_eval.cli import train_main
sys.exit(train_main(sys.argv[1:]))
"""


def _kill_mid_write(source: Path, out: Path, sig: int) -> int:
    args = ["build-sft", str(source), "-o", str(out), "--native", "300", *NO_DECONTAMINATION]
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_DRIVER, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not temps(out.parent):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the rows were never written"
        time.sleep(0.01)
    time.sleep(0.2)  # some rows are in the temp file
    proc.send_signal(sig)
    return proc.wait(timeout=60)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "kill-9"])
def test_a_signal_mid_write_keeps_the_previous_output_and_the_rerun_works(previous, sig):
    source, out, rows_before, card_before = previous
    code = _kill_mid_write(source, out, sig)
    assert (digest(out), digest(card_path(out))) == (rows_before, card_before)
    if sig == signal.SIGTERM:
        assert code == 130 and not temps(out.parent)  # cleaned up, as every medfr writer
    else:
        assert code == -signal.SIGKILL  # nothing runs after kill -9; its temp may stay
    assert build(source, out, 300) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300 and all(json.loads(x)["source"] == "native" for x in lines)
    card = json.loads(card_path(out).read_text(encoding="utf-8"))
    assert card["output"]["sha256"] == digest(out)
