"""Untrusted input to medfr-signif: each case a clear line or a safe output, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import sys
import threading
from pathlib import Path

import pytest

from medfr_eval import signif
from medfr_eval.board.collect import read_signif
from medfr_eval.cli import signif_main as main
from medfr_eval.core.errors import DataError, SignifError
from medfr_eval.signif import report as report_mod

sys.path.insert(0, str(Path(__file__).parent))
from signif_fixtures import DATE, binary, write_run  # noqa: E402


def _two(root: Path, a: str = "a", b: str = "b") -> Path:
    write_run(root, a, {"medfr_pubmedqa": binary(40, 30)})
    write_run(root, b, {"medfr_pubmedqa": binary(40, 10)})
    return root


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    err = [x for x in capsys.readouterr().err.strip().splitlines() if not x.startswith("warning:")]
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def _report(root: Path, names: tuple[str, str]) -> signif.Report:
    runs = signif.load_runs([_two(root, *names)])
    return signif.compare(runs, signif.all_pairs(runs), resamples=200)


def test_a_failure_half_way_leaves_the_previous_outputs_intact(tmp_path, monkeypatch):
    out = tmp_path / "res"
    signif.write_outputs(_report(tmp_path / "o1", ("a", "b")), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(fig, path, name):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report_mod, "_save_plot", broken)
    with pytest.raises(SignifError, match="No space left"):
        signif.write_outputs(_report(tmp_path / "o2", ("c", "d")), out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".res")) in (
        [],
        [".res.lock"],
    )  # no temp folder left behind


def test_two_runs_writing_the_same_out_at_once_leave_one_consistent_set(tmp_path):
    out = tmp_path / "res"
    reports = [_report(tmp_path / "o1", ("a", "b")), _report(tmp_path / "o2", ("c", "d"))]
    errors: list[BaseException] = []

    def write(r):
        try:
            for _ in range(3):
                signif.write_outputs(r, out)
        except BaseException as e:  # noqa: BLE001 - collected for the assertion below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(r,)) for r in reports]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    models = json.loads((out / "signif.json").read_text())["models"]
    md = (out / "signif.md").read_text()
    csv_text = (out / "signif.csv").read_text()
    assert all(f"| {m} |" in md and m in csv_text for m in models)
    others = {"a", "b", "c", "d"} - set(models)
    assert not any(f"| {m} |" in md for m in others)


def test_out_holding_other_files_or_not_writable_is_one_line(tmp_path, capsys):
    runs = _two(tmp_path / "o")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("x")
    msg = _error(capsys, [str(runs), "--out", str(mine), "--resamples", "100"])
    assert "thesis.tex" in msg and str(mine) in msg
    afile = tmp_path / "file"
    afile.write_text("x")
    msg = _error(capsys, [str(runs), "--out", str(afile / "sub"), "--resamples", "100"])
    assert "cannot write the outputs" in msg and str(afile / "sub") in msg


def test_lenient_run_is_flagged_in_json_and_markdown(tmp_path):
    out = _two(tmp_path / "o")
    log = out / "a" / f"samples_medfr_pubmedqa_{DATE}.jsonl"
    lines = log.read_text().splitlines()
    lines[3] = lines[3][:20]  # a broken line
    log.write_text("\n".join(lines) + "\n")
    res = tmp_path / "r"
    assert main([str(out), "--lenient", "--out", str(res), "--resamples", "100"]) == 0
    data = json.loads((res / "signif.json").read_text())
    assert data["lenient"] is True
    kinds = {w["kind"] for w in data["warnings"]}
    assert {"reading", "lenient", "pairing"} <= kinds
    assert any("kept 39 of 40 items" in w["message"] for w in data["warnings"])
    md = (res / "signif.md").read_text()
    assert "--lenient" in md and "kept 39 of 40 items" in md and f"{log}:4" in md


def test_nan_and_infinity_are_refused_on_input_and_never_written(tmp_path, capsys):
    out = _two(tmp_path / "o")
    results = out / "a" / f"results_{DATE}.json"
    text = results.read_text()
    data = json.loads(text)
    data["results"]["medfr_pubmedqa"]["acc,none"] = float("nan")
    results.write_text(json.dumps(data))  # Python writes NaN, which is not JSON
    msg = _error(capsys, [str(out), "--out", str(tmp_path / "r")])
    assert f"{results}: results.medfr_pubmedqa.acc,none: expected a finite number" in msg
    results.write_text(text)
    log = out / "a" / f"samples_medfr_pubmedqa_{DATE}.jsonl"
    log.write_text(log.read_text().replace('"acc": 1.0', '"acc": Infinity', 1))
    msg = _error(capsys, [str(out), "--out", str(tmp_path / "r")])
    assert f"{log}:1: acc" in msg and "finite" in msg
    bad = tmp_path / "signif.json"
    bad.write_text('{"medfr_signif_version": 1, "scores": [{"model": "m", "task": "t", '
                   '"ci_low": NaN, "ci_high": Infinity}]}')  # fmt: skip
    with pytest.raises(DataError, match=r"scores\[0\]\.ci_low: expected a finite number"):
        read_signif(bad)


def test_csv_cells_cannot_run_as_formulas(tmp_path):
    evil = "=cmd|' /C calc'!A0"
    out = tmp_path / "o"
    write_run(out, evil, {"medfr_pubmedqa": binary(40, 30)})
    write_run(out, "+b", {"medfr_pubmedqa": binary(40, 10)})
    res = tmp_path / "r"
    assert main([str(out), "--out", str(res), "--resamples", "100"]) == 0
    rows = list(csv.DictReader(io.StringIO((res / "signif.csv").read_text())))
    assert {rows[0]["model_a"], rows[0]["model_b"]} == {"'" + evil, "'+b"}
    from medfr_eval.board import render

    assert render._cell(evil) == "'" + evil  # the board uses the same guard


def test_bidi_controls_are_stripped_from_names(tmp_path):
    out = tmp_path / "o"
    write_run(out, "org/abc\u202egnp.exe", {"medfr_pubmedqa": binary(40, 30)})
    write_run(out, "b\u2066\u200f", {"medfr_pubmedqa": binary(40, 10)})
    runs = signif.load_runs([out])
    assert {r.name for r in runs} == {"org/abcgnp.exe", "b"}


def test_rich_markup_in_paths_and_names_is_printed_as_text(tmp_path, capsys):
    out = tmp_path / "o["
    write_run(out, "x]", {"medfr_pubmedqa": binary(40, 30)})  # folder o[/x]
    write_run(out, "[bold]y[/x]", {"medfr_pubmedqa": binary(40, 10)})
    res = tmp_path / "r[" / "x]"
    assert main([str(out), "--out", str(res), "--resamples", "100"]) == 0
    printed = capsys.readouterr().out
    assert str(res) in printed and "[bold]y[/x]" in printed


def test_bad_results_fields_are_one_line_naming_file_and_field(tmp_path, capsys):
    out = _two(tmp_path / "o")
    results = out / "a" / f"results_{DATE}.json"
    good = json.loads(results.read_text())
    cases = [
        ("n-samples", "40", "n-samples"),
        ("n-samples", {"medfr_pubmedqa": "40"}, "n-samples.medfr_pubmedqa"),
        ("n-samples", {"medfr_pubmedqa": {"effective": "40"}}, "n-samples.medfr_pubmedqa.effective"),
        ("config", [1], "config"),
        ("versions", ["1.0"], "versions"),
        ("configs", {"medfr_pubmedqa": [1]}, "configs.medfr_pubmedqa"),
    ]  # fmt: skip
    for key, value, fld in cases:
        results.write_text(json.dumps({**good, key: value}))
        msg = _error(capsys, [str(out), "--out", str(tmp_path / "r")])
        assert f"{results}: {fld}:" in msg, msg


def test_markdown_escapes_html_and_keeps_whole_names(tmp_path):
    out = tmp_path / "o"
    write_run(out, "org/<img src=x onerror=alert(1)>", {"medfr_pubmedqa": binary(40, 30)})
    write_run(out, "BioMistral/BioMistral-7B", {"medfr_pubmedqa": binary(40, 10)})
    res = tmp_path / "r"
    assert main([str(out), "--out", str(res), "--resamples", "100"]) == 0
    md = (res / "signif.md").read_text()
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    assert "BioMistral/BioMistral-7B vs org/&lt;img" in md or "org/&lt;img" in md
    assert "| BioMistral/BioMistral-7B |" in md
