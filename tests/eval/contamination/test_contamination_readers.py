"""Training text is read in Unicode NFC, in every file type the contamination check reads."""

from __future__ import annotations

import json
import unicodedata

import pytest

from medfr_eval.contamination.readers import read_batches

TEXT = "Le médecin prescrit une échographie rénale."  # composed accents
NFD = unicodedata.normalize("NFD", TEXT)


def _write(path, suffix: str):
    if suffix == ".txt":
        path.write_text(NFD + "\n\n" + NFD + "\n", encoding="utf-8")
    elif suffix == ".jsonl":
        path.write_text(json.dumps({"text": NFD}, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"text": [NFD]}), path)


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".parquet"])
def test_decomposed_text_comes_out_composed(tmp_path, suffix):
    assert NFD != TEXT
    path = tmp_path / f"train{suffix}"
    _write(path, suffix)
    texts = [t for batch in read_batches(path) for t in batch.texts]
    assert texts and all(t.strip() == TEXT for t in texts)


def test_sizes_stay_those_read_from_the_file(tmp_path):
    path = tmp_path / "train.jsonl"
    _write(path, ".jsonl")
    (batch,) = list(read_batches(path))
    assert batch.nbytes == path.stat().st_size
