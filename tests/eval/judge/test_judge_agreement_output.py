"""``medfr judge agreement``: its --out folder follows the output-folder rules, and each RUN is
one model read by the one lm-eval output reader."""

from __future__ import annotations

import json
import os
import signal

import pytest
from judge_runs import write_labels, write_run

from medfr_eval.cli import main
from medfr_eval.judge import report

OUTPUTS = {"agreement.json", "agreement.txt", "agreement.png"}


@pytest.fixture()
def inputs(tmp_path):
    run = write_run(tmp_path / "run", "m", [1, 0, 1, 1])
    labels = write_labels(
        tmp_path / "labels.jsonl",
        [{"doc_id": f"kqa-00{i}", "model": "m", "human": h} for i, h in enumerate([1, 0, 0, 1])],
    )
    return labels, run


def agreement(labels, *runs, out=None) -> int:
    extra = ["--out", str(out)] if out is not None else []
    return main(["judge", "agreement", str(labels), *map(str, runs), "--resamples", "200", *extra])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


def test_an_out_folder_holding_other_files_is_refused_and_left_as_it_was(inputs, tmp_path, capsys):
    mywork = tmp_path / "mywork"
    mywork.mkdir()
    (mywork / "notes.txt").write_text("mes notes")
    (mywork / "agreement.json").write_text("{}")
    assert agreement(*inputs, out=mywork) == 2
    err = one_error_line(capsys)
    assert f"{mywork}: --out: output folder holds other files (notes.txt)" in err
    assert (mywork / "notes.txt").read_text() == "mes notes"
    assert (mywork / "agreement.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".mywork")) == []


def test_an_out_path_that_is_a_file_is_refused(inputs, tmp_path, capsys):
    target = tmp_path / "agreement"
    target.write_text("un fichier")
    assert agreement(*inputs, out=target) == 2
    assert "output path exists and is not a folder" in one_error_line(capsys)
    assert target.read_text() == "un fichier"


def test_a_folder_it_wrote_is_replaced_whole(inputs, tmp_path, capsys):
    out = tmp_path / "agr"
    assert agreement(*inputs, out=out) == 0
    first = json.loads((out / "agreement.json").read_text())
    (out / "agreement.txt").write_text("ancien")
    assert agreement(*inputs, out=out) == 0
    assert {p.name for p in out.iterdir()} == OUTPUTS
    assert json.loads((out / "agreement.json").read_text()) == first
    assert (out / "agreement.txt").read_text().startswith("model")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".agr.")] == [".agr.lock"]


def test_a_new_out_folder_gets_the_umask_permissions(inputs, tmp_path, capsys):
    out = tmp_path / "new" / "agr"
    old = os.umask(0o002)
    try:
        assert agreement(*inputs, out=out) == 0
    finally:
        os.umask(old)
    assert oct(out.stat().st_mode & 0o777) == oct(0o775)
    assert {oct(p.stat().st_mode & 0o777) for p in out.iterdir()} == {oct(0o664)}


@pytest.mark.parametrize("stop", ["sigterm", "error"])
def test_a_write_stopped_midway_leaves_the_previous_output_and_no_temp(
    inputs, tmp_path, capsys, monkeypatch, stop
):
    out = tmp_path / "agr"
    assert agreement(*inputs, out=out) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken_plot(stats, pairs, path):
        path.write_bytes(b"half a png")
        if stop == "sigterm":
            os.kill(os.getpid(), signal.SIGTERM)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report, "plot", broken_plot)
    if stop == "sigterm":
        with pytest.raises(KeyboardInterrupt):
            report.write(out, {}, [], [], {}, 200, 0)
    else:
        assert agreement(*inputs, out=out) == 2
        assert "No space left on device" in one_error_line(capsys)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def test_a_run_holding_two_models_is_refused_naming_them(tmp_path, capsys):
    both = tmp_path / "out"
    write_run(both, "org/model-a", [1, 0])
    write_run(both, "org/model-b", [0, 1])
    labels = write_labels(
        tmp_path / "l.jsonl", [{"doc_id": "kqa-000", "model": "org/model-a", "human": 1}]
    )
    assert agreement(labels, both) == 2
    err = one_error_line(capsys)
    assert "holds the output of 2 model folders" in err
    assert "org/model-a" in err and "org/model-b" in err
    # one model's folder inside it is a RUN
    assert agreement(labels, both / "org__model-a") == 0


def test_the_latest_run_of_a_task_is_read_with_its_own_results(tmp_path, capsys):
    run = tmp_path / "run"
    write_run(run, "m", [0, 0], date="2026-11-25T10-00-00.000000")
    write_run(run, "m", [1, 1], date="2026-11-26T09-00-00.000000")
    labels = write_labels(
        tmp_path / "l.jsonl", [{"doc_id": f"kqa-00{i}", "model": "m", "human": 1} for i in (0, 1)]
    )
    out = tmp_path / "agr"
    assert agreement(labels, run, out=out) == 0
    assert json.loads((out / "agreement.json").read_text())["groups"]["m"]["accuracy"] == 1.0


def test_a_run_is_named_by_the_one_naming_rule(tmp_path, capsys):
    run = write_run(tmp_path / "run", "/scratch/me/models/tiny-cpt-sft/sft", [1])
    labels = write_labels(
        tmp_path / "l.jsonl", [{"doc_id": "kqa-000", "model": "tiny-cpt-sft", "human": 1}]
    )
    assert agreement(labels, run) == 0
    assert "tiny-cpt-sft" in capsys.readouterr().out


def test_a_verdict_that_is_not_0_or_1_in_a_log_is_unparsable(tmp_path, capsys):
    run = write_run(tmp_path / "run", "m", [1, 2, "1", True])
    labels = write_labels(
        tmp_path / "l.jsonl", [{"doc_id": f"kqa-00{i}", "model": "m", "human": 1} for i in range(4)]
    )
    out = tmp_path / "agr"
    assert agreement(labels, run, out=out) == 0
    data = json.loads((out / "agreement.json").read_text())
    assert data["n_pairs"] == 1 and len(data["unparsable"]) == 3
