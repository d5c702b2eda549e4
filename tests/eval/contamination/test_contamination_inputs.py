"""Training input a corpus really holds: other encodings, binary files, corrupt parquet,
non-text columns, huge lines and documents (bounded memory), empty files, link loops,
files that cannot be read. Each is one error line (exit 2) or skipped and listed."""

from __future__ import annotations

import json
import os
import random

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medfr_eval.cli import run
from medfr_eval.contamination import readers, textfile
from medfr_eval.contamination.check import EvalIndex, report, scan_files
from medfr_eval.contamination.cli import contamination
from medfr_eval.contamination.evalitems import EvalItem
from medfr_eval.data.load import load_records

FILLER = "Texte de remplissage écrit pour ce test, sans rapport avec les questions."


@pytest.fixture(scope="module")
def answer():
    """The reference answer of a shipped K-QA sample: accented French, long enough."""
    return load_records("kqa", "sample")[1]["answer"]


def _check(tmp_path, paths, *extra):
    out = tmp_path / "c.json"
    args = [*map(str, paths), "--against", "kqa", "--data", "sample", "-o", str(out), *extra]
    return run(contamination, args), out


def _one_error(capsys) -> str:
    err = [x for x in capsys.readouterr().err.strip().splitlines() if not x.startswith("warning")]
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


# ------------------------------------------------------------------ encodings, binary


def test_latin1_text_is_refused_naming_line_unless_its_encoding_is_given(tmp_path, answer, capsys):
    txt = tmp_path / "corpus.txt"
    txt.write_bytes(f"{FILLER}\n\nDébut. {answer}\n".encode("latin-1"))
    status, out = _check(tmp_path, [txt])
    assert status == 2 and not out.exists()
    line = _one_error(capsys)
    assert line.startswith(f"error: {txt}:1: not UTF-8 (byte 0xe9)") and "--encoding" in line
    status, out = _check(tmp_path, [txt], "--encoding", "latin-1")
    assert status == 0
    rep = json.loads(out.read_text(encoding="utf-8"))
    assert rep["sets"]["kqa"]["contaminated_items"] == 1
    assert set(rep["sets"]["kqa"]["evidence"].values()) == {f"{txt}:3"}


@pytest.mark.parametrize(
    ("encoding", "message"),
    [("utf-16", "does not write ASCII as ASCII"), ("klingon", "unknown encoding 'klingon'")],
)
def test_encodings_that_cannot_be_read_line_by_line_are_refused(
    tmp_path, capsys, encoding, message
):
    txt = tmp_path / "corpus.txt"
    txt.write_text(FILLER + "\n", encoding="utf-8")
    status, out = _check(tmp_path, [txt], "--encoding", encoding)
    assert status == 2 and not out.exists()
    line = _one_error(capsys)
    assert "--encoding" in line and message in line


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 (byte 0x89)"),
        (b"texte\n\nun\x00deux\n", "holds a NUL character: a binary file"),
    ],
    ids=["png", "nul"],
)
def test_binary_text_files_are_one_line(tmp_path, capsys, data, message):
    txt = tmp_path / "image.txt"
    txt.write_bytes(data)
    status, out = _check(tmp_path, [txt])
    assert status == 2 and not out.exists()
    assert message in _one_error(capsys)


def test_binary_bytes_in_a_parquet_file_are_one_line(tmp_path, capsys):
    bad = tmp_path / "shard.parquet"
    bad.write_bytes(random.Random(0).randbytes(4096))
    status, _ = _check(tmp_path, [bad])
    assert status == 2 and "not a readable parquet file" in _one_error(capsys)


# ------------------------------------------------------------------ parquet


def test_corrupt_parquet_pages_are_one_line(tmp_path, capsys):
    path = tmp_path / "shard.parquet"
    texts = [f"{FILLER} {i} " + "".join(random.Random(i).choices("abcdefgh ", k=400))
             for i in range(2000)]  # fmt: skip
    pq.write_table(pa.table({"text": texts}), path, compression="gzip", row_group_size=500)
    data = bytearray(path.read_bytes())
    meta = pq.ParquetFile(path).metadata
    col = meta.row_group(2).column(0)
    start = col.data_page_offset + 64
    data[start : start + 2000] = bytes(2000)  # zeros over compressed page bytes
    path.write_bytes(bytes(data))
    status, out = _check(tmp_path, [path])
    assert status == 2 and not out.exists()
    line = _one_error(capsys)
    assert line.startswith(f"error: {path}: corrupt parquet data after row ")


def test_field_naming_a_struct_column_is_one_line(tmp_path, capsys):
    path = tmp_path / "sft.parquet"
    table = pa.table({"text": [FILLER], "meta": [{"source": "native", "n": 1}]})
    pq.write_table(table, path)
    status, _ = _check(tmp_path, [path], "--field", "meta")
    assert status == 2
    line = _one_error(capsys)
    assert f"error: {path}: meta: column 'meta' holds struct<" in line and "not text" in line


def test_field_naming_a_list_of_strings_column_is_read(tmp_path, answer):
    path = tmp_path / "sft.parquet"
    table = pa.table({"id": ["a", "b"], "turns": [[FILLER], ["Question ?", answer]]})
    pq.write_table(table, path)
    status, out = _check(tmp_path, [path], "--field", "turns")
    assert status == 0
    rep = json.loads(out.read_text(encoding="utf-8"))
    assert set(rep["sets"]["kqa"]["evidence"].values()) == {f"{path}#row1"}


# ------------------------------------------------------------------ bounded memory


WORDS = "le la un une patient douleur cœur rein foie sang dose jour nuit fièvre toux".split()


def _scan_bounded(path, items, monkeypatch, *, max_chars, chunk):
    """Scan ``path`` with small bounds; return the index and the longest text scanned."""
    monkeypatch.setattr(textfile, "MAX_DOCUMENT_CHARS", max_chars)
    monkeypatch.setattr(textfile, "LINE_CHUNK", chunk)
    idx = EvalIndex.build(items, 13)
    longest = 0
    scan = idx.scan_batch

    def spy(texts, label):
        nonlocal longest
        longest = max([longest, *map(len, texts)])
        return scan(texts, label)

    monkeypatch.setattr(idx, "scan_batch", spy)
    return idx, scan_files(idx, [path]), longest


def _reference(items, text):
    """The n-grams seen when the whole text is scanned as one document (no bound)."""
    idx = EvalIndex.build(items, 13)
    idx.scan_batch([text], str)
    return idx


@pytest.mark.parametrize("newlines", [False, True], ids=["one-line", "no-blank-line"])
def test_huge_document_is_scanned_in_bounded_pieces_and_loses_no_ngram(
    tmp_path, monkeypatch, newlines
):
    rng = random.Random(1)
    items = [EvalItem("s", f"q{k}", (" ".join(rng.choices(WORDS, k=40)),)) for k in range(30)]
    parts = []
    for _ in range(3000):  # about 300 KB, each item planted several times at random places
        parts.append(" ".join(rng.choices(WORDS, k=8)))
        if rng.random() < 0.05:
            item = rng.choice(items).segments[0].split()
            a = rng.randrange(0, 20)
            parts.append(" ".join(item[a : a + 13 + rng.randrange(0, 5)]))
    text = ("\n" if newlines else " ").join(parts)
    path = tmp_path / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    idx, (st,), longest = _scan_bounded(path, items, monkeypatch, max_chars=8192, chunk=1024)
    ref = _reference(items, text)
    assert ref.seen.sum() > 50 and np.array_equal(idx.seen, ref.seen)
    assert longest <= 8192 + 1024  # a piece never holds more than the bound and one chunk
    assert st.documents == 1 and st.contaminated_documents == 1
    assert st.words == len(text.split())  # the overlaps' words are counted once
    rep = report(idx, [st], data="x")
    assert set(rep["sets"]["s"]["evidence"].values()) == {f"{path}:1"}


def test_word_longer_than_the_cut_window_is_dropped_whole(tmp_path, monkeypatch):
    item = EvalItem("s", "q", (" ".join(WORDS[:13]),))
    giant = "x" * 5000 + "".join(WORDS[:2])  # no break near the cut: a hard cut inside it
    text = " ".join(WORDS[:13]) + " " + giant + " " + " ".join(WORDS[:13])
    path = tmp_path / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    idx, (st,), longest = _scan_bounded(path, [item], monkeypatch, max_chars=4096, chunk=512)
    assert idx.seen.all() and longest <= 4096 + 512 and st.documents == 1


def test_jsonl_line_beyond_the_bound_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(readers, "MAX_RECORD_BYTES", 1000)
    path = tmp_path / "sft.jsonl"
    rows = [{"text": FILLER}, {"text": "x " * 2000}, {"text": FILLER}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    status, out = _check(tmp_path, [path])
    assert status == 2 and not out.exists()
    assert _one_error(capsys).startswith(f"error: {path}:2: line longer than 1000 bytes")


def test_long_jsonl_record_is_split_and_counted_once(tmp_path, monkeypatch, answer):
    monkeypatch.setattr(textfile, "MAX_DOCUMENT_CHARS", 2048)
    path = tmp_path / "sft.jsonl"
    rows = [{"text": FILLER}, {"text": f"{FILLER} " * 60 + answer + f" {FILLER}" * 60}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    status, out = _check(tmp_path, [path])
    assert status == 0
    rep = json.loads(out.read_text(encoding="utf-8"))
    assert (
        rep["training"][0]["documents"] == 2 and rep["training"][0]["contaminated_documents"] == 1
    )
    assert set(rep["sets"]["kqa"]["evidence"].values()) == {f"{path}:2"}


# ------------------------------------------------------------------ files and folders


def _good(folder, answer):
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "good.txt"
    good.write_text(f"{FILLER}\n\n{answer}\n", encoding="utf-8")
    return good


def test_empty_files_are_skipped_and_listed(tmp_path, answer, capsys):
    good = _good(tmp_path / "corpus", answer)
    (tmp_path / "corpus" / "empty.jsonl").write_bytes(b"")
    alone = tmp_path / "alone.txt"
    alone.write_bytes(b"")
    status, out = _check(tmp_path, [tmp_path / "corpus", alone])
    assert status == 0
    rep = json.loads(out.read_text(encoding="utf-8"))
    assert [t["file"] for t in rep["training"]] == [str(good)]
    assert rep["skipped_files"] == {
        str(tmp_path / "corpus" / "empty.jsonl"): "empty file", str(alone): "empty file"}  # fmt: skip
    err = capsys.readouterr().err
    assert f"warning: {alone}: not read: empty file" in err
    status, out = _check(tmp_path, [alone])
    assert status == 2 and "no training file to read" in _one_error(capsys)


def test_symbolic_link_loops_in_folders_are_skipped_and_listed(tmp_path, answer, capsys):
    corpus = tmp_path / "corpus"
    good = _good(corpus / "sub", answer)
    (corpus / "sub" / "back").symlink_to(corpus, target_is_directory=True)  # folder loop
    (corpus / "a.txt").symlink_to(corpus / "b.txt")
    (corpus / "b.txt").symlink_to(corpus / "a.txt")  # file link loop
    (corpus / "gone.jsonl").symlink_to(tmp_path / "nowhere.jsonl")
    status, out = _check(tmp_path, [corpus])
    assert status == 0
    rep = json.loads(out.read_text(encoding="utf-8"))
    assert [t["file"] for t in rep["training"]] == [str(good)]  # read once
    assert rep["sets"]["kqa"]["contaminated_items"] == 1
    skipped = rep["skipped_files"]
    assert skipped[str(corpus / "a.txt")] == "symbolic link loop"
    assert skipped[str(corpus / "gone.jsonl")] == "broken symbolic link"
    assert (
        skipped[str(corpus / "sub" / "back")]
        == "folder already read (reached again through a symbolic link)"
    )
    status, _ = _check(tmp_path, [corpus / "a.txt"])
    assert status == 2 and "symbolic link loop" in _one_error(capsys)


def test_named_pipe_is_not_read(tmp_path, answer, capsys):
    corpus = tmp_path / "corpus"
    _good(corpus, answer)
    os.mkfifo(corpus / "stream.txt")  # opening it would wait for a writer forever
    status, out = _check(tmp_path, [corpus])
    assert status == 0
    assert json.loads(out.read_text())["skipped_files"] == {
        str(corpus / "stream.txt"): "not a regular file"}  # fmt: skip
    status, _ = _check(tmp_path, [corpus / "stream.txt"])
    assert status == 2 and "not a regular file" in _one_error(capsys)


def test_unreadable_file_stops_the_check_in_one_line(tmp_path, answer, capsys, monkeypatch):
    corpus = tmp_path / "corpus"
    _good(corpus, answer)
    locked = corpus / "locked.jsonl"
    locked.write_text(json.dumps({"text": FILLER}) + "\n", encoding="utf-8")
    locked.chmod(0)
    if os.geteuid() == 0:  # permissions do not bind root: emulate what access() says
        real = os.access
        monkeypatch.setattr(readers.os, "access", lambda p, m: real(p, m) and p != locked)
    try:
        status, out = _check(tmp_path, [corpus])
    finally:
        locked.chmod(0o644)
    assert status == 2 and not out.exists()
    assert _one_error(capsys) == f"error: {locked}: cannot read: permission denied"
