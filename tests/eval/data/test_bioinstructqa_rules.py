"""Where BioMistral's own loader goes on, the fetch goes on too, and counts what it did.

BioMistral's ``Data/Evaluation/BioInstructQA.py`` takes PubMedQA's French context
only when the English ``context`` is not null, and serves only the corpora it knows.
"""

from __future__ import annotations

import json

import click

from medfr_eval.cli import run
from medfr_eval.data.fetch_cli import fetch as fetch_command
from medfr_eval.data.load import load_records
from medfr_eval.data.public_sources import SOURCES, synthetic
from medfr_eval.data.public_sources.bioinstructqa import WITHOUT_CONTEXT


def _cli(args: list[str]) -> int:
    return run(click.Group("medfr-data", commands={"fetch": fetch_command}), args, "medfr-data")


def _repo(tmp_path):
    return tmp_path / "repos" / SOURCES["bioinstructqa"].repo


def test_pubmedqa_record_without_context_loads_without_one_and_is_counted(tmp_path, capsys):
    def drop_context(records):
        rec = next(r for r in records if r["corpus_name"] == "PubMedQA")
        rec["context"] = None  # as in the source: the translation is then not used
        rec["context_translated"] = "Une traduction que le chargeur officiel ignore."

    synthetic.write_bioinstructqa(_repo(tmp_path), per_corpus=3, mutate=drop_context)
    out = tmp_path / "data"
    args = ["fetch", "pubmedqa", "en_pubmedqa", "-o", str(out), "--from", str(tmp_path / "repos")]
    assert _cli(args) == 0
    fr, en = load_records("pubmedqa", str(out)), load_records("en_pubmedqa", str(out))
    assert ["context" in r for r in fr] == [False, True, True]
    assert ["context" in r for r in en] == [False, True, True]
    manifest = json.loads((out / "MANIFEST.json").read_text())
    assert manifest["sets"]["pubmedqa"]["notes"] == {WITHOUT_CONTEXT: 1}
    assert manifest["sets"]["en_pubmedqa"]["notes"] == {WITHOUT_CONTEXT: 1}
    assert "pubmedqa: 3 items -> " in capsys.readouterr().out
    prompt = load_set_prompt(out, "pubmedqa", 0)
    assert "Contexte" not in prompt and "précédée" not in prompt


def load_set_prompt(out, name, index):
    from medfr_eval.data.load import load_set

    return load_set(name, medfr_data=str(out))["test"][index]["prompt"]


def test_unknown_corpora_are_skipped_and_counted_in_manifest_and_summary(tmp_path, capsys):
    def add_unknown(records):
        for rec in records[:2]:  # two of MedQA's three records
            rec["corpus_name"] = "MedQA-7_options"
        records[4]["corpus_name"] = "NewCorpus"

    synthetic.write_bioinstructqa(_repo(tmp_path), per_corpus=3, mutate=add_unknown)
    out = tmp_path / "data"
    assert _cli(["fetch", "medqa_4opt", "-o", str(out), "--from", str(tmp_path / "repos")]) == 0
    manifest = json.loads((out / "MANIFEST.json").read_text())
    assert manifest["sources"]["bioinstructqa"]["skipped"] == {"MedQA-7_options": 2, "NewCorpus": 1}
    text = capsys.readouterr().out
    assert "skipped: MedQA-7_options: 2, NewCorpus: 1" in text.splitlines()[-1]
    assert "BioMistral/BioInstructQA: commit " in text
    assert [r["id"] for r in load_records("medqa_4opt", str(out))] == ["MedQA-00002"]


def test_fetched_file_keeps_the_archive_order(tmp_path):
    def reverse_mmlu(records):
        mmlu = [i for i, r in enumerate(records) if r["corpus_name"] == "MMLU_anatomy"]
        picked = [records[i] for i in mmlu][::-1]
        for i, rec in zip(mmlu, picked):
            records[i] = rec

    synthetic.write_bioinstructqa(_repo(tmp_path), per_corpus=4, mutate=reverse_mmlu)
    out = tmp_path / "data"
    assert _cli(["fetch", "mmlu_anatomy", "-o", str(out), "--from", str(tmp_path / "repos")]) == 0
    lines = (out / "mmlu_anatomy.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [
        f"MMLU_anatomy-{i:05d}" for i in (3, 2, 1, 0)
    ]
