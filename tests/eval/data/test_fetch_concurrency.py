"""Fetches that overlap, or die half way: one folder, one writer; a kill leaves the folder as it
was (or recognisably fetch's own), and the rerun works."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medfr_eval.core.errors import DataError
from medfr_eval.data import fetch as fetch_mod
from medfr_eval.data.fetch import fetch
from medfr_eval.data.load import load_records
from medfr_eval.data.public_sources import SOURCES, synthetic

CLI = "import sys; from medfr_eval.cli import data_main; sys.argv = ['medfr-data'] + sys.argv[1:]; data_main()"


@pytest.fixture(scope="module")
def big_repos(tmp_path_factory) -> Path:
    """An archive large enough that converting it takes a few seconds."""
    root = tmp_path_factory.mktemp("repos")
    synthetic.write_bioinstructqa_streaming(root / SOURCES["bioinstructqa"].repo, 40000, 600)
    return root


def _start(sets: list[str], out: Path, repos: Path) -> subprocess.Popen:
    args = [sys.executable, "-c", CLI, "fetch", *sets, "-o", str(out), "--from", str(repos)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_temp(out: Path, proc: subprocess.Popen, timeout: float = 60) -> Path:
    """The running fetch's temp folder, once it holds some converted lines."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for tmp in out.parent.glob(f".{out.name}.fetch-*"):
            files = list(tmp.glob("*.jsonl"))
            if files and files[0].stat().st_size > 0:
                return tmp
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    pytest.fail("the fetch never started converting")


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def test_two_fetches_into_one_new_folder_keep_both_sets(big_repos, tmp_path):
    out = tmp_path / "data"
    first = _start(["medqa_4opt"], out, big_repos)
    _wait_for_temp(out, first)
    second = _start(["medmcqa"], out, big_repos)
    outs = [first.communicate(timeout=300), second.communicate(timeout=300)]
    assert [first.returncode, second.returncode] == [0, 0], outs
    assert "waiting for another fetch into" in outs[1][1]  # the second one did overlap
    manifest = json.loads((out / "MANIFEST.json").read_text())
    assert sorted(manifest["sets"]) == ["medmcqa", "medqa_4opt"]
    assert _leftovers(out) == []
    fetch(["medqa_4opt"], out, big_repos)  # and the next fetch accepts the folder


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_fetch_leaves_no_temp_and_the_rerun_works(big_repos, tmp_path, sig):
    out = tmp_path / "data"
    proc = _start(["medqa_4opt"], out, big_repos)
    _wait_for_temp(out, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert not out.exists() and _leftovers(out) == []
    fetch(["medqa_4opt"], out, big_repos)
    assert len(load_records("medqa_4opt", str(out))) == 4000


def test_kill_9_mid_fetch_then_a_rerun_cleans_up_and_works(big_repos, tmp_path):
    out = tmp_path / "data"
    fetch(["medmcqa"], out, big_repos)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc = _start(["medqa_4opt"], out, big_repos)
    stale = _wait_for_temp(out, proc)
    proc.kill()
    proc.communicate(timeout=60)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing half-written
    assert stale.exists()  # a kill -9 runs no cleanup ...
    fetch(["medqa_4opt"], out, big_repos)  # ... the next fetch into the folder does
    assert not stale.exists() and _leftovers(out) == []
    assert sorted(json.loads((out / "MANIFEST.json").read_text())["sets"]) == [
        "medmcqa",
        "medqa_4opt",
    ]


@pytest.mark.parametrize("start", ["fetched", "empty"])
def test_a_fetch_killed_between_two_moves_leaves_files_the_rerun_recognises(
    tmp_path, monkeypatch, start
):
    repos = tmp_path / "repos"
    synthetic.write_bioinstructqa(repos / SOURCES["bioinstructqa"].repo, per_corpus=2)
    out = tmp_path / "data"
    if start == "fetched":
        fetch(["mmlu_anatomy"], out, repos)
    else:
        out.mkdir()  # a folder made beforehand, with no manifest yet
    synthetic.write_bioinstructqa(repos / SOURCES["bioinstructqa"].repo, per_corpus=3)
    real, calls = os.replace, []

    def dies_on_the_second_move(src, dst):
        if str(dst).endswith(".jsonl"):
            calls.append(dst)
            if len(calls) == 2:
                raise KeyboardInterrupt  # killed between the first and the second file
        real(src, dst)

    monkeypatch.setattr(fetch_mod.os, "replace", dies_on_the_second_move)
    with pytest.raises(KeyboardInterrupt):  # medqa_4opt is new to the folder and moves first
        fetch(["medqa_4opt", "mmlu_anatomy"], out, repos)
    monkeypatch.setattr(fetch_mod.os, "replace", real)
    assert len(load_records("medqa_4opt", str(out))) == 3  # the first move happened
    fetch(["medqa_4opt", "mmlu_anatomy"], out, repos)  # the rerun knows that file as its own
    manifest = json.loads((out / "MANIFEST.json").read_text())
    assert sorted(manifest["sets"]) == ["medqa_4opt", "mmlu_anatomy"] and "pending" not in manifest


def test_a_pending_hash_never_vouches_for_someone_elses_file(tmp_path):
    repos = tmp_path / "repos"
    synthetic.write_bioinstructqa(repos / SOURCES["bioinstructqa"].repo, per_corpus=2)
    out = tmp_path / "data"
    fetch(["mmlu_anatomy"], out, repos)
    manifest = json.loads((out / "MANIFEST.json").read_text())
    manifest["pending"] = {"mmlu_anatomy": "f" * 64}
    (out / "MANIFEST.json").write_text(json.dumps(manifest), encoding="utf-8")
    (out / "mmlu_anatomy.jsonl").write_text("someone else's\n", encoding="utf-8")
    with pytest.raises(DataError, match="differs from the copy"):
        fetch(["mmlu_anatomy"], out, repos)
    assert (out / "mmlu_anatomy.jsonl").read_text() == "someone else's\n"
