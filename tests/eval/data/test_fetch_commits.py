"""Every fetched source records the commit its files came from (MANIFEST.json, medfr_loaded)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medfr_eval.core.errors import DataError
from medfr_eval.data import availability
from medfr_eval.data.fetch import fetch
from medfr_eval.data.load import load_set
from medfr_eval.data.public_sources import COMMIT, SOURCES, synthetic

HEAD = "89abcdef0123456789abcdef0123456789abcdef"


class FakeApi:
    """``huggingface_hub.HfApi`` whose branch heads are ``HEAD``."""

    def dataset_info(self, repo_id, revision=None, **kwargs):
        return type("Info", (), {"sha": HEAD})()


@pytest.fixture()
def repos(tmp_path) -> Path:
    root = tmp_path / "repos"
    synthetic.write_mirror(root, per_corpus=2)
    return root


@pytest.fixture()
def hub(repos, monkeypatch):
    """The Hub, answered from ``repos``; returns the downloads asked for."""
    import huggingface_hub

    asked = []

    def download(repo_id, filename, revision, repo_type):
        asked.append((repo_id, revision))
        return str(repos / repo_id / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    return asked


def test_every_source_pins_a_commit_or_says_it_is_unconfirmed():
    for source in SOURCES.values():
        assert source.pinned == bool(COMMIT.fullmatch(source.revision))
        if not source.pinned:
            assert source.pin_note.startswith("unconfirmed"), source.key
    assert SOURCES["bioinstructqa"].pinned and SOURCES["mediqal"].pinned


def test_hub_fetch_records_the_commit_of_every_source(hub, tmp_path):
    out = tmp_path / "data"
    fetch(["medqa_4opt", "frenchmedmcqa", "mediqal_mcqu"], out)
    manifest = json.loads((out / "MANIFEST.json").read_text())
    commits = {k: v["commit"] for k, v in manifest["sources"].items()}
    assert commits == {
        "bioinstructqa": SOURCES["bioinstructqa"].revision,
        "frenchmedmcqa": HEAD,
        "mediqal": SOURCES["mediqal"].revision,
    }
    assert manifest["sources"]["frenchmedmcqa"]["revision"] == "refs/convert/parquet"
    assert (
        "resolved from refs/convert/parquet" in manifest["sources"]["frenchmedmcqa"]["commit_from"]
    )
    # the files were downloaded at the commit recorded, not at the moving branch
    assert ("qanastek/frenchmedmcqa", HEAD) in hub


def test_an_unresolvable_branch_is_one_line_with_the_files_to_place(tmp_path, monkeypatch):
    import huggingface_hub

    class Offline:
        def dataset_info(self, *args, **kwargs):
            raise OSError("We couldn't connect to 'https://huggingface.co'.\nmore")

    monkeypatch.setattr(huggingface_hub, "HfApi", Offline)
    with pytest.raises(DataError) as err:
        fetch(["frenchmedmcqa"], tmp_path / "o")
    message = str(err.value)
    assert "\n" not in message and message.startswith("default/test/0000.parquet: ")
    assert "place default/test/0000.parquet" in message and "--from FROM" in message
    assert not (tmp_path / "o").exists()


def _loaded(name: str, out: Path, monkeypatch) -> dict:
    """``metadata.medfr_loaded`` as the loader records it into the task being built."""

    class Task:
        config = type("Config", (), {"metadata": {}})()

    task = Task()
    monkeypatch.setattr(availability, "building_task", lambda: task)
    load_set(name, medfr_data=str(out) if out else None)
    return task.config.metadata["medfr_loaded"]


def test_medfr_loaded_records_the_commit_of_a_fetched_folder(hub, tmp_path, monkeypatch):
    out = tmp_path / "data"
    fetch(["frenchmedmcqa"], out)
    loaded = _loaded("frenchmedmcqa", out, monkeypatch)
    assert loaded["commit"] == HEAD
    assert loaded["public_copy"] == "qanastek/frenchmedmcqa@refs/convert/parquet"
    (out / "frenchmedmcqa.jsonl").write_text(
        (out / "frenchmedmcqa.jsonl").read_text().replace("Question", "Q"), encoding="utf-8"
    )
    assert "commit" not in _loaded("frenchmedmcqa", out, monkeypatch)  # no longer vouched for


def test_medfr_loaded_records_the_commit_of_the_cache(hub, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDFR_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MEDFR_DATA", raising=False)
    loaded = _loaded("mediqal_mcqu", None, monkeypatch)
    assert loaded["source"] == f"ANR-MALADES/MediQAl@{SOURCES['mediqal'].revision}"
    assert loaded["commit"] == SOURCES["mediqal"].revision


def test_a_cache_snapshot_given_with_from_says_its_commit(repos, tmp_path):
    """``--from`` a Hugging Face cache snapshot: files are links into blobs/, named by commit."""
    cache = tmp_path / "hf" / "datasets--qanastek--frenchmedmcqa"
    blob = cache / "blobs" / "0af1"
    blob.parent.mkdir(parents=True)
    blob.write_bytes(
        (repos / SOURCES["frenchmedmcqa"].repo / "default/test/0000.parquet").read_bytes()
    )
    snapshot = cache / "snapshots" / HEAD
    (snapshot / "default" / "test").mkdir(parents=True)
    (snapshot / "default" / "test" / "0000.parquet").symlink_to("../../../../blobs/0af1")
    manifest = fetch(["frenchmedmcqa"], tmp_path / "data", snapshot)
    assert manifest["sources"]["frenchmedmcqa"]["commit"] == HEAD
    assert manifest["sets"]["frenchmedmcqa"]["items"] == 4


def test_a_local_dir_download_says_its_commit(repos, tmp_path):
    repo = repos / SOURCES["mediqal"].repo
    meta = repo / ".cache" / "huggingface" / "download" / "mcqu" / "test.json.metadata"
    meta.parent.mkdir(parents=True)
    meta.write_text(f"{HEAD}\netag\n1700000000.0\n", encoding="utf-8")
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    manifest = fetch(["mediqal_mcqu"], tmp_path / "data", repo)
    assert manifest["sources"]["mediqal"]["commit"] == HEAD
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before  # read, not written


def test_a_plain_copy_records_no_commit_rather_than_a_guess(repos, tmp_path):
    manifest = fetch(["mediqal_oeq"], tmp_path / "data", repos)
    entry = manifest["sources"]["mediqal"]
    assert (
        entry["commit"] is None
        and entry["commit_from"] == "--from: a local copy that does not say its commit"
    )
    assert entry["revision"] == SOURCES["mediqal"].revision  # what medfr would download
