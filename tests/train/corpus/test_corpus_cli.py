"""medfr-train prepare-corpus through the one click entry point (corpus.cli)."""

from __future__ import annotations

import json

from corpus_docs import (
    ALL_DOCS,
    read_out,
    write_txt,
)

from medfr_eval.cli import train_main
from medfr_train.corpus import (
    prepare_corpus,
)


def test_cli_success_prints_the_table(tmp_path, capsys):
    src = write_txt(tmp_path / "c.txt", ALL_DOCS)
    out = tmp_path / "out.jsonl"
    rc = train_main(
        [
            "prepare-corpus",
            str(src),
            "-o",
            str(out),
            "--no-progress",
            "--min-words",
            "3",
            "--report",
            str(tmp_path / "r.json"),
        ]
    )
    assert rc == 0
    err = capsys.readouterr().err
    assert "dropped: language" in err and "kept" in err
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["config"]["min_words"] == 3
    assert len(read_out(out)) == 4


def test_cli_bad_input_exit_2(tmp_path, capsys):
    src = tmp_path / "c.jsonl"
    src.write_text('{"text": "ok"}\n{"text": \n', encoding="utf-8")
    rc = train_main(
        ["prepare-corpus", str(src), "-o", str(tmp_path / "out.jsonl"), "--no-progress"]
    )
    assert rc == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"error: {src}:2: invalid JSON (Expecting value)"]
    assert not (tmp_path / "out.jsonl").exists()
    rc = train_main(
        ["prepare-corpus", str(src), "-o", str(tmp_path / "out.jsonl"), "--dedup-scope", "partout"]
    )
    assert rc == 2 and "partout" in capsys.readouterr().err
    rc = train_main(
        ["prepare-corpus", str(src), "-o", str(tmp_path / "o.jsonl"), "--lang", "français"]
    )
    assert rc == 2
    assert capsys.readouterr().err.strip() == (
        "error: lang: must be an ISO 639-1 code such as 'fr', got 'français'"
    )


def test_cli_help_shows_an_example(capsys):
    assert train_main(["prepare-corpus", "--help"]) == 0
    assert "Example: medfr train prepare-corpus" in capsys.readouterr().out


def test_shipped_sample_corpus_is_mostly_kept(tmp_path):
    """Clean French prose (our sample corpus) must pass the filters almost whole."""
    from medfr_eval.core.resources import recipes_dir

    sample = recipes_dir() / "data" / "cpt_corpus.txt"
    assert sample.is_file(), "the sample corpus ships with medfr"
    report = prepare_corpus(sample, tmp_path / "sample.jsonl", progress=False)
    assert report.dropped["language"] == 0
    assert report.sentences_kept >= 0.95 * report.sentences_read
    assert report.documents_kept == report.documents_read
