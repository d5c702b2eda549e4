"""`medfr-data fetch` and the default loading path, on files in the sources' exact layout."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import pytest

from medfr_eval.cli import run
from medfr_eval.core.errors import DataError
from medfr_eval.core.fileio import sha256_file
from medfr_eval.core.sets import PUBLIC_SETS
from medfr_eval.data import fetch as fetch_mod
from medfr_eval.data.fetch_cli import fetch as fetch_command
from medfr_eval.data.load import load_records, load_records_from, load_set
from medfr_eval.data.public_sources import SOURCES, synthetic


@pytest.fixture()
def repos(tmp_path) -> Path:
    """A folder of repos as on the Hub: FROM/<owner>/<name>/<files>."""
    root = tmp_path / "repos"
    synthetic.write_mirror(root, per_corpus=3)
    return root


def _cli(args: list[str]) -> int:
    group = click.Group("medfr-data", commands={"fetch": fetch_command})
    return run(group, args, "medfr-data")


def test_fetch_all_public_sets_with_manifest(repos, tmp_path, capsys):
    out = tmp_path / "data"
    assert _cli(["fetch", "-o", str(out), "--from", str(repos)]) == 0
    names = {s.name for s in PUBLIC_SETS}
    assert {p.stem for p in out.glob("*.jsonl")} == names
    text = (out / "MANIFEST.json").read_text()
    manifest = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    assert set(manifest["sets"]) == names
    assert manifest["sources"]["bioinstructqa"]["revision"] == SOURCES["bioinstructqa"].revision
    zip_path = repos / SOURCES["bioinstructqa"].repo / "data.zip"
    assert manifest["sources"]["bioinstructqa"]["files"]["data.zip"]["sha256"] == (
        sha256_file(zip_path)
    )
    assert manifest["sets"]["medqa_4opt"] == {
        "source": "bioinstructqa",
        "file": "medqa_4opt.jsonl",
        "items": 3,
        "expected_items": 1273,
        "sha256": sha256_file(out / "medqa_4opt.jsonl"),
        "notes": {},
    }
    assert manifest["sets"]["mediqal_oeq"]["expected_items"] == 4969
    err = capsys.readouterr().err
    assert "warning: medqa_4opt: 3 items, expected 1273 (the study's size)" in err
    assert "warning: mediqal_oeq: 4 items, expected 4969 (the size its source states)" in err
    # the files are what the loader reads, offline
    assert len(load_records("en_medmcqa", str(out))) == 3
    assert [r["answers"] for r in load_records("frenchmedmcqa", str(out))][:2] == [
        ["B"],
        ["A", "C"],
    ]


def test_fetch_some_sets_from_one_repo_folder(repos, tmp_path):
    out = tmp_path / "d"
    manifest = fetch_mod.fetch(
        ["medfr_pubmedqa", "en_pubmedqa"], out, repos / SOURCES["bioinstructqa"].repo
    )
    assert sorted(manifest["sets"]) == ["en_pubmedqa", "pubmedqa"]
    assert sorted(p.name for p in out.iterdir()) == [
        "MANIFEST.json",
        "en_pubmedqa.jsonl",
        "pubmedqa.jsonl",
    ]
    # a second fetch adds to the folder and merges the manifest
    fetch_mod.fetch(["frenchmedmcqa"], out, repos)
    merged = json.loads((out / "MANIFEST.json").read_text())
    assert sorted(merged["sets"]) == ["en_pubmedqa", "frenchmedmcqa", "pubmedqa"]
    assert sorted(merged["sources"]) == ["bioinstructqa", "frenchmedmcqa"]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_a_bad_record_half_way_leaves_dir_untouched(repos, tmp_path):
    out = tmp_path / "data"
    fetch_mod.fetch(["medqa_4opt"], out, repos)
    before = _snapshot(out)

    def bad_last_letter(records):
        records[-1]["correct_answer_letter"] = "Z"  # the very last record: after many writes

    synthetic.write_bioinstructqa(repos / SOURCES["bioinstructqa"].repo, mutate=bad_last_letter)
    status = _cli(["fetch", "-o", str(out), "--from", str(repos)])
    assert status == 2
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_new_dir_is_not_created_on_failure(repos, tmp_path, capsys):
    def no_letter(records):
        records[5]["correct_answer_letter"] = "Z"

    synthetic.write_bioinstructqa(repos / SOURCES["bioinstructqa"].repo, mutate=no_letter)
    out = tmp_path / "new"
    assert _cli(["fetch", "-o", str(out), "--from", str(repos)]) == 2
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["repos"]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(
        "error: data.zip:langs_processed/French-full.json[5]: correct_answer_letter: "
    )


def test_interrupted_download_leaves_nothing(repos, tmp_path, monkeypatch):
    from medfr_eval.data.fetch_files import Files

    calls = []

    def flaky(source, names, from_dir=None):
        calls.extend(names)
        if source.key == "mediqal":
            raise KeyboardInterrupt  # e.g. Ctrl-C during the second source's download
        return Files({n: repos / source.repo / n for n in names}, None, "test")

    monkeypatch.setattr(fetch_mod, "get_files", flaky)
    out = tmp_path / "data"
    with pytest.raises(KeyboardInterrupt):
        fetch_mod.fetch(None, out)
    assert calls and not out.exists() and sorted(os.listdir(tmp_path)) == ["repos"]


def test_files_not_written_by_fetch_are_never_overwritten(repos, tmp_path):
    out = tmp_path / "study"
    out.mkdir()
    (out / "medqa_4opt.jsonl").write_text("the study's own file\n")
    with pytest.raises(DataError, match="was not written by medfr data fetch"):
        fetch_mod.fetch(["medqa_4opt"], out, repos)
    assert (out / "medqa_4opt.jsonl").read_text() == "the study's own file\n"


def test_bring_your_own_and_unknown_sets_are_refused():
    with pytest.raises(DataError, match="^frmedmcqa: this set has no public copy"):
        fetch_mod.resolve_sets(["frmedmcqa"])
    with pytest.raises(DataError, match="^nope: unknown set"):
        fetch_mod.resolve_sets(["nope"])


BRANCH_HEAD = "0123456789abcdef0123456789abcdef01234567"


class _FakeApi:
    """``HfApi`` answering ``dataset_info`` with a fixed commit for any branch."""

    asked: list = []

    def dataset_info(self, repo_id, revision=None, **kwargs):
        self.asked.append((repo_id, revision))
        return type("Info", (), {"sha": BRANCH_HEAD})()


def test_hub_path_downloads_every_file_at_a_commit(repos, tmp_path, monkeypatch):
    import huggingface_hub

    seen = []

    def fake(repo_id, filename, revision, repo_type):
        seen.append((repo_id, filename, revision, repo_type))
        return str(repos / repo_id / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake)
    monkeypatch.setattr(huggingface_hub, "HfApi", _FakeApi)
    _FakeApi.asked = []
    fetch_mod.fetch(["medqa_4opt", "frenchmedmcqa", "mediqal_oeq"], tmp_path / "o")
    assert seen == [
        ("BioMistral/BioInstructQA", "data.zip", SOURCES["bioinstructqa"].revision, "dataset"),
        ("qanastek/frenchmedmcqa", "default/test/0000.parquet", BRANCH_HEAD, "dataset"),
        ("ANR-MALADES/MediQAl", "oeq/test.json", SOURCES["mediqal"].revision, "dataset"),
    ]
    # only the source named by a branch had its commit resolved
    assert _FakeApi.asked == [("qanastek/frenchmedmcqa", "refs/convert/parquet")]


def test_hub_failure_is_one_line_with_the_way_out(tmp_path, monkeypatch):
    import huggingface_hub

    def offline(**kwargs):
        raise OSError("We couldn't connect to 'https://huggingface.co'.\nmore text")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    with pytest.raises(DataError) as err:
        fetch_mod.fetch(["medqa_4opt"], tmp_path / "o")
    message = str(err.value)
    assert "\n" not in message and "medfr data fetch -o DIR" in message
    assert not (tmp_path / "o").exists()


def test_default_path_converts_once_into_the_cache(repos, tmp_path, monkeypatch):
    import huggingface_hub

    downloads = []

    def fake(repo_id, filename, revision, repo_type):
        downloads.append(filename)
        return str(repos / repo_id / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake)
    monkeypatch.setenv("MEDFR_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MEDFR_DATA", raising=False)
    records, origin = load_records_from("medqa_5opt")
    assert len(records) == 3 and origin.startswith("BioMistral/BioInstructQA@e8b5293")
    assert len(load_records("en_mmlu_anatomy")) == 3  # same archive, already converted
    assert downloads == ["data.zip"]


def test_study_files_in_medfr_data_take_precedence(repos, tmp_path, monkeypatch):
    import huggingface_hub

    monkeypatch.setattr(
        huggingface_hub,
        "hf_hub_download",
        lambda repo_id, filename, revision, repo_type: str(repos / repo_id / filename),
    )
    monkeypatch.setenv("MEDFR_CACHE", str(tmp_path / "cache"))
    study = tmp_path / "study"
    study.mkdir()
    own = {"id": "s1", "question": "Question de l'étude ?", "options": list("abcd"), "answer": "A"}
    (study / "medqa_4opt.jsonl").write_text(json.dumps(own) + "\n")
    records, origin = load_records_from("medqa_4opt", str(study))
    assert records[0]["id"] == "s1" and origin == str(study / "medqa_4opt.jsonl")
    # a public set missing from the folder comes from its public copy
    assert load_records_from("medmcqa", str(study))[1].startswith("BioMistral/BioInstructQA")


def test_missing_data_message_lists_every_set(tmp_path, monkeypatch):
    folder = tmp_path / "some"
    folder.mkdir()
    (folder / "frmedqa.jsonl").write_text("")
    with pytest.raises(DataError) as err:
        load_records("frbmedqa", str(folder))
    message = str(err.value)
    assert "\n" not in message
    assert (
        "Without data: frbmedqa, frmedmcqa, kqa, frclinicalqa: no public copy; request" in message
    )
    assert "medfr data fetch -o " in message
    for s in PUBLIC_SETS:
        assert s.name in message


def test_size_difference_warns_records_or_fails(repos, tmp_path, monkeypatch, capsys):
    out = tmp_path / "d"
    fetch_mod.fetch(["mmlu_anatomy"], out, repos)
    ds = load_set("mmlu_anatomy", medfr_data=str(out))
    assert len(ds["test"]) == 3
    assert "set mmlu_anatomy has 3 items" in capsys.readouterr().err
    with pytest.raises(DataError, match="^medfr_strict_sizes: set mmlu_anatomy has 3 items"):
        load_set("mmlu_anatomy", medfr_data=str(out), medfr_strict_sizes=True)
    with pytest.raises(DataError):
        load_set("mmlu_anatomy", medfr_data=str(out), medfr_strict_sizes="true")
