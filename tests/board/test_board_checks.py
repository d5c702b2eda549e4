"""Submission checks and the add / reference commands: clear refusals, exit 2, nothing half-written."""

from __future__ import annotations

import json

import pytest
from board_fixtures import BASE, CPT, DATE, write_run

from medfr_eval.board.table import slugify
from medfr_eval.cli import board_main as main


@pytest.fixture
def board(tmp_path):
    """A board whose reference is pinned from a trusted run of the base model."""
    trusted = tmp_path / "trusted"
    write_run(trusted, BASE, 0.3, seed=1)
    entries = tmp_path / "lb" / "entries"
    assert main(["reference", str(trusted), "-o", str(tmp_path / "lb" / "reference.json")]) == 0
    return entries


def add(tmp_path, board, **kwargs) -> tuple[int, str]:
    sub = tmp_path / "submission"
    write_run(sub, CPT, 0.6, seed=2, **kwargs)
    return main(["add", str(sub), "--board", str(board)]), str(sub)


def test_reference_pins_versions_and_digests(board):
    ref = json.loads((board.parent / "reference.json").read_text())
    assert ref["source_model"] == BASE and len(ref["tasks"]) == 15
    task = ref["tasks"]["medfr_kqa"]
    assert task["version"] == 1.0 and task["n"] == 12 and len(task["prompt_digest"]) == 64


def test_accepted_submission_is_copied_and_builds(tmp_path, board, capsys):
    code, _ = add(tmp_path, board)
    assert code == 0, capsys.readouterr().err
    dest = board / slugify(CPT)
    assert (dest / f"results_{DATE}.json").is_file()
    assert len(list(dest.glob("samples_medfr_*.jsonl"))) == 15
    entry = (board / f"{slugify(CPT)}.yaml").read_text()
    assert f"model: {CPT}" in entry
    site = tmp_path / "site"
    assert main(["build", "--board", str(board), "-o", str(site)]) == 0
    assert (site / "models" / f"{slugify(CPT)}.html").is_file()


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"sets": [s for s in ("frbmedqa", "kqa", "frclinicalqa", "frmedqa")]},
            "family mcq_native (Native MCQ) incomplete: missing medfr_frmedmcqa",
        ),
        ({"version": 2.0}, "medfr_medqa_4opt: task version 2.0, the board uses 1.0"),
        ({"variant": " Sans justification."}, "medfr_kqa: prompt hashes differ"),
        ({"samples": False}, "medfr_frmedqa: sample log missing"),
        ({"limit": 5}, "run used --limit 5"),
        ({"score_shift": 0.01}, "medfr_pubmedqa: sample log mean"),
    ],
)
def test_refusals_name_what_is_wrong(tmp_path, board, capsys, kwargs, expected):
    code, _ = add(tmp_path, board, **kwargs)
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err and "refused" in err
    assert not (board / slugify(CPT)).exists()


def test_build_refuses_a_bad_run_too(tmp_path, board, capsys):
    sub = tmp_path / "sub"
    write_run(sub, CPT, 0.6, seed=2, variant="!")
    assert main(["build", str(sub), "--board", str(board), "-o", str(tmp_path / "s")]) == 2
    assert "prompt hashes differ" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_add_without_reference_says_how_to_pin(tmp_path, capsys):
    code, _ = add(tmp_path, tmp_path / "nowhere" / "entries")
    assert code == 2
    assert "medfr-leaderboard reference" in capsys.readouterr().err


def test_broken_inputs_fail_with_file_and_field(tmp_path, board, capsys):
    sub = tmp_path / "submission"
    folder = write_run(sub, CPT, 0.6, seed=2)
    results = folder / f"results_{DATE}.json"
    good = results.read_text()
    results.write_text(good[:200])
    assert main(["add", str(sub), "--board", str(board)]) == 2
    assert str(results) in capsys.readouterr().err

    data = json.loads(good)
    del data["results"]["medfr_kqa"]["bertscore_f1,bertscore"]
    results.write_text(json.dumps(data))
    assert main(["add", str(sub), "--board", str(board)]) == 2
    assert "results.medfr_kqa.bertscore_f1,bertscore" in capsys.readouterr().err

    results.write_text(good)
    log = folder / f"samples_medfr_frmedqa_{DATE}.jsonl"
    lines = log.read_text().splitlines()
    lines[2] = "{oops"
    log.write_text("\n".join(lines))
    assert main(["add", str(sub), "--board", str(board)]) == 2
    assert f"{log}:3" in capsys.readouterr().err

    assert main(["add", str(tmp_path / "missing"), "--board", str(board)]) == 2
    assert "results folder not found" in capsys.readouterr().err
    assert (
        main(
            ["build", str(sub), "--signif", str(tmp_path / "none.json"), "-o", str(tmp_path / "s")]
        )
        == 2
    )
    assert "signif JSON not found" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2


def test_signif_and_entry_validation(runs, capsys):
    bad = runs["tmp"] / "bad_signif.json"
    bad.write_text(
        json.dumps(
            {
                "medfr_signif_version": 1,
                "comparisons": [
                    {"model_a": "a", "model_b": "b", "task": "medfr_kqa", "decision": "maybe"}
                ],
            }
        )
    )
    assert (
        main(
            [
                "build",
                str(runs["out"]),
                "--signif",
                str(bad),
                "--board",
                str(runs["entries"]),
                "-o",
                str(runs["tmp"] / "s"),
            ]
        )
        == 2
    )
    assert "comparisons[0].decision" in capsys.readouterr().err
    (runs["entries"] / "sft.yaml").write_text("model: m\nlinks:\n  x: javascript:alert(1)\n")
    assert (
        main(
            [
                "build",
                str(runs["out"]),
                "--board",
                str(runs["entries"]),
                "-o",
                str(runs["tmp"] / "s"),
            ]
        )
        == 2
    )
    assert "links.x" in capsys.readouterr().err


def test_runs_scored_under_other_settings_are_refused(tmp_path, board, capsys):
    """The reader's score_settings (shared with medfr-signif) against the reference."""
    from medfr_eval.board.checks import check
    from medfr_eval.board.collect import read_run

    sub = tmp_path / "submission"
    folder = write_run(sub, CPT, 0.6, seed=2)
    results = folder / f"results_{DATE}.json"
    data = json.loads(results.read_text())
    data["configs"]["medfr_kqa"]["generation_kwargs"] = {"max_gen_toks": 64}
    data["configs"]["medfr_kqa"]["metadata"]["judge_model"] = "autre-juge"
    results.write_text(json.dumps(data))
    assert main(["add", str(sub), "--board", str(board)]) == 2
    err = capsys.readouterr().err
    assert "medfr_kqa: scored under other settings" in err
    assert "generation_kwargs.max_gen_toks: 64 vs (not set)" in err
    assert "metadata.judge_model" in err
    reference = json.loads((board.parent / "reference.json").read_text())
    check(read_run(folder), reference, allow_setting_mismatch=True)  # asked: accepted
