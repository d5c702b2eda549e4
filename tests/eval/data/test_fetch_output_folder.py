"""The output folder of `medfr data fetch`: the user's files are never replaced, bad manifests
and bad paths are one line before anything moves, permissions follow the umask."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import click
import pytest

from medfr_eval.cli import run
from medfr_eval.core.fileio import sha256_file
from medfr_eval.data.fetch import ensure_cached, fetch
from medfr_eval.data.fetch_cli import fetch as fetch_command
from medfr_eval.data.load import load_records
from medfr_eval.data.public_sources import SOURCES, synthetic


@pytest.fixture()
def repos(tmp_path) -> Path:
    root = tmp_path / "repos"
    synthetic.write_mirror(root, per_corpus=2)
    return root


def _cli(args: list[str]) -> int:
    return run(click.Group("medfr-data", commands={"fetch": fetch_command}), args, "medfr-data")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def test_a_fetched_file_replaced_by_the_users_copy_is_never_overwritten(repos, tmp_path, capsys):
    out = tmp_path / "data"
    assert _cli(["fetch", "mmlu_anatomy", "-o", str(out), "--from", str(repos)]) == 0
    capsys.readouterr()
    own = '{"id": "mine", "question": "Ma question ?", "options": ["a", "b", "c", "d"], "answer": "A"}\n'
    (out / "mmlu_anatomy.jsonl").write_text(own, encoding="utf-8")
    before = _snapshot(out)
    assert _cli(["fetch", "mmlu_anatomy", "-o", str(out), "--from", str(repos)]) == 2
    line = _one_error(capsys)
    assert "mmlu_anatomy.jsonl: differs from the copy medfr data fetch wrote" in line
    assert _snapshot(out) == before


def test_an_unchanged_fetched_file_is_replaced(repos, tmp_path):
    out = tmp_path / "data"
    fetch(["mmlu_anatomy"], out, repos)
    first = json.loads((out / "MANIFEST.json").read_text())["created"]
    fetch(["mmlu_anatomy", "mmlu_anatomy"], out, repos)
    assert len(load_records("mmlu_anatomy", str(out))) == 2
    assert json.loads((out / "MANIFEST.json").read_text())["created"] >= first


def test_a_manifest_that_lies_about_a_hash_does_not_make_a_file_replaceable(
    repos, tmp_path, capsys
):
    out = tmp_path / "data"
    out.mkdir()
    (out / "medmcqa.jsonl").write_text("the user's own file\n", encoding="utf-8")
    manifest = {
        "medfr_manifest": 1,
        "sources": {},
        "sets": {"medmcqa": {"file": "medmcqa.jsonl", "sha256": "0" * 64}},
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert _cli(["fetch", "medmcqa", "-o", str(out), "--from", str(repos)]) == 2
    assert "medmcqa.jsonl: differs from the copy" in _one_error(capsys)
    assert (out / "medmcqa.jsonl").read_text() == "the user's own file\n"


def test_a_manifest_that_is_a_folder_is_one_line_before_anything_moves(repos, tmp_path, capsys):
    out = tmp_path / "data"
    (out / "MANIFEST.json").mkdir(parents=True)
    assert _cli(["fetch", "medqa_5opt", "-o", str(out), "--from", str(repos)]) == 2
    assert "MANIFEST.json: is a folder" in _one_error(capsys)
    assert sorted(p.name for p in out.iterdir()) == ["MANIFEST.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "repos"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (
            json.dumps({"medfr_manifest": 1, "sets": ["medqa_4opt"]}).encode(),
            "sets: expected a mapping",
        ),
        (
            json.dumps({"medfr_manifest": 1, "sets": {}, "sources": []}).encode(),
            "sources: expected",
        ),
        ('{"medfr_manifest": 1, "sets": {"é": {}}}'.encode("latin-1"), "not UTF-8"),
        (b'{"medfr_manifest": 1, "sets": {', "not valid JSON"),
        (b'{"created": "by someone else"}', "not a medfr manifest"),
    ],
    ids=["sets-a-list", "sources-a-list", "latin-1", "broken-json", "foreign"],
)
def test_a_bad_manifest_is_one_line_and_nothing_moves(repos, tmp_path, capsys, content, needle):
    out = tmp_path / "data"
    out.mkdir()
    (out / "MANIFEST.json").write_bytes(content)
    assert _cli(["fetch", "medqa_4opt", "-o", str(out), "--from", str(repos)]) == 2
    line = _one_error(capsys)
    assert "MANIFEST.json" in line and needle in line
    assert sorted(p.name for p in out.iterdir()) == ["MANIFEST.json"]


def test_a_set_file_that_is_a_folder_is_refused_before_anything_moves(repos, tmp_path, capsys):
    out = tmp_path / "data"
    fetch(["medqa_4opt"], out, repos)
    (out / "pubmedqa.jsonl").mkdir()
    before = _snapshot(out)
    assert _cli(["fetch", "medqa_4opt", "pubmedqa", "-o", str(out), "--from", str(repos)]) == 2
    assert "pubmedqa.jsonl: is a folder" in _one_error(capsys)
    assert _snapshot(out) == before


def test_an_output_under_a_file_is_one_line(repos, tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    assert (
        _cli(["fetch", "medqa_4opt", "-o", str(tmp_path / "afile" / "sub"), "--from", str(repos)])
        == 2
    )
    line = _one_error(capsys)
    assert "afile/sub: cannot create the folder" in line
    assert (tmp_path / "afile").read_text() == "x"


def test_a_new_folder_gets_the_umask_permissions(repos, tmp_path):
    script = (
        "import os, sys; os.umask(0o002); from medfr_eval.data.fetch import fetch; "
        "fetch(['medqa_4opt'], sys.argv[1], sys.argv[2])"
    )
    out = tmp_path / "shared" / "data"
    subprocess.run([sys.executable, "-c", script, str(out), str(repos)], check=True)
    assert stat.S_IMODE(out.stat().st_mode) == 0o775
    assert stat.S_IMODE((out / "medqa_4opt.jsonl").stat().st_mode) == 0o664
    assert stat.S_IMODE((out / "MANIFEST.json").stat().st_mode) == 0o664


def test_a_full_disk_is_one_line_and_leaves_the_folder_as_it_was(repos, tmp_path):
    """The file-size limit makes every write past 8 kB fail as a full disk would (EFBIG)."""
    synthetic.write_bioinstructqa(repos / SOURCES["bioinstructqa"].repo, per_corpus=60)
    out = tmp_path / "data"
    fetch(["mmlu_anatomy"], out, repos)
    before = _snapshot(out)
    script = (
        "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192)); "
        "from medfr_eval.cli import data_main; sys.argv = ['medfr-data'] + sys.argv[1:]; data_main()"
    )
    args = ["fetch", "mmlu_anatomy", "medqa_5opt", "-o", str(out), "--from", str(repos)]
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
    err = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(err) == 1 and err[0].startswith(f"error: {out}: cannot write: "), err
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "repos"]
    fetch(["mmlu_anatomy", "medqa_5opt"], out, repos)  # the rerun works
    assert len(load_records("medqa_5opt", str(out))) == 60


def test_an_edited_cache_file_is_not_served(repos, tmp_path, monkeypatch):
    import huggingface_hub

    monkeypatch.setattr(
        huggingface_hub,
        "hf_hub_download",
        lambda repo_id, filename, revision, repo_type: str(repos / repo_id / filename),
    )
    monkeypatch.setenv("MEDFR_CACHE", str(tmp_path / "cache"))
    path = ensure_cached("mediqal_mcqu")
    assert sha256_file(path)
    path.write_text(path.read_text(encoding="utf-8").replace("Question", "Q"), encoding="utf-8")
    from medfr_eval.core.errors import DataError

    with pytest.raises(DataError, match="differs from the copy fetch wrote into the cache"):
        ensure_cached("mediqal_mcqu")
    assert os.path.isfile(path)


def test_an_unreadable_source_file_is_one_line_naming_it(repos, tmp_path, monkeypatch, capsys):
    """A copy the user cannot read (root reads any file, so the refusal is simulated)."""
    real = Path.open
    target = repos / SOURCES["mediqal"].repo / "oeq" / "test.json"

    def denied(self, *args, **kwargs):
        if self == target:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    out = tmp_path / "data"
    assert _cli(["fetch", "mediqal_oeq", "-o", str(out), "--from", str(repos)]) == 2
    assert _one_error(capsys) == f"error: {target}: cannot read: Permission denied"
    assert not out.exists()
