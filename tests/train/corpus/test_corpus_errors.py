"""Bad corpus input: one CorpusError naming file, line and field, nothing written."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from corpus_docs import (
    EN_DOC,
    FR_DOCS,
    JUNK_DOC,
    read_out,
    write_txt,
)

from medfr_train.corpus import (
    prepare_corpus,
)
from medfr_train.errors import CorpusError


def _assert_nothing_written(tmp_path: Path, out: Path) -> None:
    assert not out.exists()
    assert not list(tmp_path.glob("*.tmp"))
    assert not list(tmp_path.glob("*.report.json"))


def test_missing_file_and_unknown_extension(tmp_path):
    out = tmp_path / "out.jsonl"
    with pytest.raises(CorpusError, match=r"absent\.txt: corpus file not found"):
        prepare_corpus(tmp_path / "absent.txt", out, progress=False)
    (tmp_path / "c.docx").write_text("x", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"c\.docx: unknown corpus file type"):
        prepare_corpus(tmp_path / "c.docx", out, progress=False)
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(CorpusError, match="folder holds no corpus file"):
        prepare_corpus(tmp_path / "empty_dir", out, progress=False)
    _assert_nothing_written(tmp_path, out)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{pas du json", r"c\.jsonl:3: invalid JSON"),
        ('["une", "liste"]', r"c\.jsonl:3: expected a JSON object"),
        ('{"contenu": "texte"}', r"c\.jsonl:3: text: missing"),
        ('{"text": 12}', r"c\.jsonl:3: text: must be a string"),
    ],
)
def test_bad_jsonl_line_names_file_and_line(tmp_path, line, message):
    src = tmp_path / "c.jsonl"
    good = json.dumps({"text": FR_DOCS[0]}, ensure_ascii=False)
    src.write_text(f"{good}\n\n{line}\n{good}\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with pytest.raises(CorpusError, match=message):
        prepare_corpus(src, out, progress=False)
    _assert_nothing_written(tmp_path, out)


def test_bad_utf8_parquet_column_and_gzip(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "out.jsonl"
    bad = tmp_path / "c.txt"
    bad.write_bytes(FR_DOCS[0].encode() + b"\n\xff\xfe texte\n")
    with pytest.raises(CorpusError, match=r"c\.txt:2: not valid UTF-8"):
        prepare_corpus(bad, out, progress=False)
    pq.write_table(pa.table({"contenu": ["texte"]}), tmp_path / "c.parquet")
    with pytest.raises(CorpusError, match=r"c\.parquet: text: column missing"):
        prepare_corpus(tmp_path / "c.parquet", out, progress=False)
    (tmp_path / "broken.txt.gz").write_bytes(gzip.compress(FR_DOCS[0].encode())[:-12])
    with pytest.raises(CorpusError, match=r"broken\.txt\.gz: cannot read"):
        prepare_corpus(tmp_path / "broken.txt.gz", out, progress=False)
    _assert_nothing_written(tmp_path, out)


def test_empty_corpus_after_filtering_is_an_error(tmp_path):
    src = write_txt(tmp_path / "c.txt", [EN_DOC, JUNK_DOC])
    out = tmp_path / "out.jsonl"
    out.write_text("ancien contenu\n", encoding="utf-8")  # an older output is left untouched
    with pytest.raises(
        CorpusError, match=r"empty corpus after filtering: 2 document\(s\).*language 3"
    ):
        prepare_corpus(src, out, progress=False)
    assert out.read_text(encoding="utf-8") == "ancien contenu\n"
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob("*.report.json"))


def test_bad_options(tmp_path):
    src = write_txt(tmp_path / "c.txt", FR_DOCS)
    with pytest.raises(CorpusError, match="min_mots: unknown corpus option"):
        prepare_corpus(src, tmp_path / "o.jsonl", progress=False, min_mots=3)
    with pytest.raises(CorpusError, match="lang_threshold: must be between 0 and 1"):
        prepare_corpus(src, tmp_path / "o.jsonl", progress=False, lang_threshold=2.0)
    with pytest.raises(CorpusError, match="would overwrite an input"):
        prepare_corpus(src, src, progress=False)


def test_output_folder_is_made_when_missing(tmp_path):
    src = write_txt(tmp_path / "c.txt", FR_DOCS)
    out = tmp_path / "data" / "nachos" / "nachos.jsonl"
    prepare_corpus(src, out, progress=False)
    assert read_out(out) and out.with_suffix(".report.json").is_file()


def test_a_file_in_the_way_of_the_output_folder_is_one_error(tmp_path):
    src = write_txt(tmp_path / "c.txt", FR_DOCS)
    (tmp_path / "data").write_text("not a folder\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="is a file, not a folder"):
        prepare_corpus(src, tmp_path / "data" / "nachos" / "nachos.jsonl", progress=False)
    assert (tmp_path / "data").read_text(encoding="utf-8") == "not a folder\n"
