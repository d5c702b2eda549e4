"""`medfr data fetch --from` on hostile or damaged copies: one line, exit 2, nothing written.

Each case builds a local copy in the sources' layout (written by us), breaks it the
way an attacker or a bad disk would, and checks the README's promises: one line
``error: FILE[:LINE]: field: message``, exit status 2, no output folder, no temp
folder left beside it, nothing written outside it.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import zipfile
from pathlib import Path

import click
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medfr_eval.cli import run
from medfr_eval.data.fetch_cli import fetch as fetch_command
from medfr_eval.data.load import load_records
from medfr_eval.data.public_sources import SOURCES, bioinstructqa, frenchmedmcqa, mediqal, synthetic
from medfr_eval.data.public_sources.bioinstructqa import MEMBER

BIO = SOURCES["bioinstructqa"].repo


def _cli(args: list[str]) -> int:
    return run(click.Group("medfr-data", commands={"fetch": fetch_command}), args, "medfr-data")


def _fails_in_one_line(tmp_path: Path, capsys, *args: str, source: str = "medqa_4opt") -> str:
    """Run a fetch that must fail; check the promises; return the error line."""
    out = tmp_path / "work" / "data"
    out.parent.mkdir(exist_ok=True)
    status = _cli(["fetch", source, "-o", str(out), "--from", str(tmp_path / "repos"), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2, err
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert sorted(os.listdir(out.parent)) == []  # no output, no temp folder, no lock file
    return err[0]


def _records() -> list[dict]:
    return [
        synthetic.bioinstructqa_record(corpus, i)
        for corpus in bioinstructqa.CORPUS_TO_SET
        for i in range(2)
    ]


def _zip(
    path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]], method=zipfile.ZIP_DEFLATED
):
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def _french_json(records=None) -> bytes:
    return json.dumps(records if records is not None else _records()).encode()


def _set_method(path: Path, method: int) -> None:
    """Write another compression method into the local and central headers of every member."""
    data = bytearray(path.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = 0
        while (at := data.find(sig, start)) != -1:
            struct.pack_into("<H", data, at + offset, method)
            start = at + 4
    path.write_bytes(bytes(data))


def _set_flag(path: Path, bit: int) -> None:
    data = bytearray(path.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (at := data.find(sig, start)) != -1:
            (flags,) = struct.unpack_from("<H", data, at + offset)
            struct.pack_into("<H", data, at + offset, flags | bit)
            start = at + 4
    path.write_bytes(bytes(data))


# ------------------------------------------------------------------ zip archives


def test_members_with_parent_or_absolute_paths_write_nothing_anywhere(tmp_path, capsys):
    archive = tmp_path / "repos" / BIO / "data.zip"
    _zip(
        archive,
        [("../escaped.txt", b"x"), ("/abs/escaped.txt", b"y"), ("../../up.txt", b"z"),
         (MEMBER, _french_json())],
    )  # fmt: skip
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    out = tmp_path / "data"
    assert _cli(["fetch", "medqa_4opt", "-o", str(out), "--from", str(tmp_path / "repos")]) == 0
    assert len(load_records("medqa_4opt", str(out))) == 2
    after = sorted(str(p) for p in tmp_path.rglob("*"))
    new = sorted(set(after) - set(before))
    assert new == [str(out), str(out / "MANIFEST.json"), str(out / "medqa_4opt.jsonl")]
    assert not any(Path(p).name in ("escaped.txt", "up.txt") for p in after)
    assert not Path("/abs/escaped.txt").exists()


def test_the_french_file_twice_in_one_archive_is_refused(tmp_path, capsys):
    archive = tmp_path / "repos" / BIO / "data.zip"
    with pytest.warns(UserWarning):  # zipfile itself warns of the duplicate name
        _zip(archive, [(MEMBER, _french_json()), (MEMBER, _french_json([]))])
    line = _fails_in_one_line(tmp_path, capsys)
    assert "holds langs_processed/French-full.json 2 times" in line


def test_a_member_over_the_size_bound_stops_and_states_the_bound(tmp_path, capsys, monkeypatch):
    # valid records, far more of them than the bound allows: a bomb that is also valid JSON
    records = [synthetic.bioinstructqa_record("MedQA", i, pad=2000) for i in range(3000)]
    _zip(tmp_path / "repos" / BIO / "data.zip", [(MEMBER, _french_json(records))])
    monkeypatch.setattr(bioinstructqa, "MAX_MEMBER_BYTES", 1 << 20)
    line = _fails_in_one_line(tmp_path, capsys)
    assert "over medfr's bound of 1,048,576" in line and "declares" in line


def test_a_member_yielding_more_than_it_declares_is_one_line(tmp_path, capsys):
    archive = _zip(tmp_path / "repos" / BIO / "data.zip", [(MEMBER, _french_json())])
    data = bytearray(archive.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # uncompressed size
        at = data.find(sig)
        struct.pack_into("<I", data, at + offset, 100)
    archive.write_bytes(bytes(data))
    line = _fails_in_one_line(tmp_path, capsys)
    assert line.startswith("error: ") and ("damaged" in line or "not valid JSON" in line)


def test_a_truncated_archive_is_one_line(tmp_path, capsys):
    archive = _zip(tmp_path / "repos" / BIO / "data.zip", [(MEMBER, _french_json())])
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    line = _fails_in_one_line(tmp_path, capsys)
    assert "data.zip: BioMistral/BioInstructQA: not a readable zip archive" in line


def test_a_corrupt_deflate_stream_is_one_line(tmp_path, capsys):
    archive = _zip(tmp_path / "repos" / BIO / "data.zip", [(MEMBER, _french_json())])
    data = bytearray(archive.read_bytes())
    name_len, extra_len = struct.unpack_from("<HH", data, 26)
    start = 30 + name_len + extra_len
    for k in range(start + 40, start + 400, 3):
        data[k] ^= 0x5A
    archive.write_bytes(bytes(data))
    line = _fails_in_one_line(tmp_path, capsys)
    assert "damaged" in line or "not valid JSON" in line or "not UTF-8" in line


def test_an_encrypted_member_is_one_line(tmp_path, capsys):
    archive = _zip(tmp_path / "repos" / BIO / "data.zip", [(MEMBER, _french_json())])
    _set_flag(archive, 0x1)
    line = _fails_in_one_line(tmp_path, capsys)
    assert "is encrypted" in line


def test_compression_method_99_is_one_line(tmp_path, capsys):
    archive = _zip(tmp_path / "repos" / BIO / "data.zip", [(MEMBER, _french_json())])
    _set_method(archive, 99)
    line = _fails_in_one_line(tmp_path, capsys)
    assert "cannot be read" in line and "compression" in line


# ------------------------------------------------------------------ links and special files


def test_a_symlink_pointing_out_of_the_mirror_is_refused(tmp_path, capsys):
    outside = tmp_path / "elsewhere" / "secret.zip"
    synthetic.write_bioinstructqa(outside.parent, per_corpus=2)
    (outside.parent / "data.zip").rename(outside)
    link = tmp_path / "repos" / BIO / "data.zip"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    line = _fails_in_one_line(tmp_path, capsys)
    assert "symlink pointing out of the --from folder" in line


def test_a_linked_folder_pointing_out_of_the_mirror_is_refused(tmp_path, capsys):
    synthetic.write_bioinstructqa(tmp_path / "elsewhere", per_corpus=2)
    (tmp_path / "repos" / "BioMistral").mkdir(parents=True)
    (tmp_path / "repos" / BIO).symlink_to(tmp_path / "elsewhere")
    line = _fails_in_one_line(tmp_path, capsys)
    assert "symlink pointing out of the --from folder" in line


def test_a_symlink_inside_the_mirror_is_followed(tmp_path):
    synthetic.write_bioinstructqa(tmp_path / "repos" / "store", per_corpus=2)
    (tmp_path / "repos" / BIO).mkdir(parents=True)
    (tmp_path / "repos" / BIO / "data.zip").symlink_to(tmp_path / "repos" / "store" / "data.zip")
    out = tmp_path / "data"
    assert _cli(["fetch", "medqa_4opt", "-o", str(out), "--from", str(tmp_path / "repos")]) == 0
    assert len(load_records("medqa_4opt", str(out))) == 2


def test_a_symlink_loop_is_one_line(tmp_path, capsys):
    folder = tmp_path / "repos" / BIO
    folder.mkdir(parents=True)
    (folder / "data.zip").symlink_to(folder / "loop.zip")
    (folder / "loop.zip").symlink_to(folder / "data.zip")
    line = _fails_in_one_line(tmp_path, capsys)
    assert "symlink that cannot be followed" in line


def test_a_fifo_in_place_of_the_archive_is_refused_without_waiting(tmp_path, capsys):
    folder = tmp_path / "repos" / BIO
    folder.mkdir(parents=True)
    os.mkfifo(folder / "data.zip")
    previous = signal.signal(signal.SIGALRM, lambda *a: pytest.fail("fetch waited on a FIFO"))
    signal.alarm(20)
    try:
        line = _fails_in_one_line(tmp_path, capsys)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert "not a regular file" in line


# ------------------------------------------------------------------ parquet and JSON files


def test_a_parquet_column_of_another_type_is_one_line(tmp_path, capsys):
    rows = synthetic.frenchmedmcqa_rows(4)
    for i, row in enumerate(rows):
        row["question"] = i  # an int64 column where the source has text
    path = tmp_path / "repos" / SOURCES["frenchmedmcqa"].repo / frenchmedmcqa.TEST_FILE
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    line = _fails_in_one_line(tmp_path, capsys, source="frenchmedmcqa")
    assert line.startswith(f"error: {frenchmedmcqa.TEST_FILE}: question: qanastek/frenchmedmcqa: ")
    assert "has type int64" in line


def test_a_corrupt_parquet_page_is_one_line(tmp_path, capsys):
    rows = synthetic.frenchmedmcqa_rows(3000)
    path = tmp_path / "repos" / SOURCES["frenchmedmcqa"].repo / frenchmedmcqa.TEST_FILE
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), path, compression="snappy")
    data = bytearray(path.read_bytes())
    for k in range(200, 4000, 7):
        data[k] ^= 0xFF
    path.write_bytes(bytes(data))
    line = _fails_in_one_line(tmp_path, capsys, source="frenchmedmcqa")
    assert line.startswith(f"error: {frenchmedmcqa.TEST_FILE}") and "damaged" in line


def test_a_parquet_file_over_the_size_bound_is_refused(tmp_path, capsys, monkeypatch):
    synthetic.write_frenchmedmcqa(tmp_path / "repos" / SOURCES["frenchmedmcqa"].repo, n=400)
    monkeypatch.setattr(frenchmedmcqa, "MAX_BYTES", 4096)
    line = _fails_in_one_line(tmp_path, capsys, source="frenchmedmcqa")
    assert "over medfr's bound of 4,096" in line


def test_a_json_file_that_is_not_utf8_is_one_line(tmp_path, capsys):
    repo = tmp_path / "repos" / SOURCES["mediqal"].repo
    synthetic.write_mediqal(repo, n=4)
    path = repo / "oeq" / "test.json"
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))
    line = _fails_in_one_line(tmp_path, capsys, source="mediqal_oeq")
    assert line.startswith("error: oeq/test.json") and "not UTF-8" in line


def test_a_json_lines_record_over_the_line_bound_is_one_line(tmp_path, capsys, monkeypatch):
    repo = tmp_path / "repos" / SOURCES["mediqal"].repo

    def huge(config, rows):
        rows[1]["question"] = "x" * 200_000

    synthetic.write_mediqal(repo, n=4, mutate=huge, lines=True)
    from medfr_eval.data.public_sources import json_records

    real = json_records.iter_json_records
    monkeypatch.setattr(
        mediqal, "iter_json_records", lambda *a, **k: real(*a, **k, max_line_bytes=100_000)
    )
    line = _fails_in_one_line(tmp_path, capsys, source="mediqal_mcqu")
    assert line.startswith("error: mcqu/test.json:2: ") and "longer than 100,000 bytes" in line
