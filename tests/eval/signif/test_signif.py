"""medfr-signif on sample logs written in lm-eval 0.4.13's layout (fast, no model).

``write_run`` (signif_fixtures.py) reproduces what ``EvaluationTracker`` writes;
test_signif_lmeval.py checks the same path on logs written by lm-eval itself.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from medfr_eval import signif
from medfr_eval.cli import signif_main as main
from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import BY_TASK

sys.path.insert(0, str(Path(__file__).parent))
from signif_fixtures import DATE, binary, write_run  # noqa: E402


@pytest.fixture
def grid(tmp_path) -> Path:
    """Three models on four sets; 'fort' is clearly better than 'faible' everywhere."""
    rng = np.random.default_rng(0)
    base_kqa = rng.uniform(0.5, 0.7, 60)
    base_case = rng.uniform(0.4, 0.6, 60)
    out = tmp_path / "out"
    write_run(out, "org/fort", {
        "medfr_pubmedqa": binary(200, 150),
        "medfr_frmedmcqa": binary(150, 90),
        "medfr_kqa": (base_kqa + 0.1).tolist(),
        "medfr_frclinicalqa": (base_case + 0.15).tolist(),
    })  # fmt: skip
    write_run(out, "org/moyen", {
        "medfr_pubmedqa": binary(200, 100),
        "medfr_frmedmcqa": binary(150, 40),
        "medfr_kqa": (base_kqa + 0.05).tolist(),
        "medfr_frclinicalqa": (base_case + 0.05).tolist(),
    })  # fmt: skip
    write_run(out, "org/faible", {
        "medfr_pubmedqa": binary(200, 60),
        "medfr_frmedmcqa": binary(150, 20),
        "medfr_kqa": base_kqa.tolist(),
        "medfr_frclinicalqa": base_case.tolist(),
    })  # fmt: skip
    return out


SCHEMA_TOP = {
    "medfr_signif_version", "method", "lenient", "warnings", "models", "comparisons",
    "family_comparisons", "win_rates", "scores", "translation_gap",
}  # fmt: skip
SCHEMA_METHOD = {"test", "resamples", "alpha", "correction", "m", "m_families", "seed"}
SCHEMA_COMPARISON = {
    "model_a", "model_b", "task", "set", "family", "metric", "n", "score_a", "score_b", "diff",
    "ci_low", "ci_high", "level", "p_value", "p_adjusted", "test", "decision", "bootstrap",
}  # fmt: skip
SCHEMA_WIN = {"model_a", "model_b", "family", "win", "tie", "loss", "n_sets"}
SCHEMA_SCORE = {"model", "task", "score", "ci_low", "ci_high"}


def test_cli_all_pairs_writes_every_output_in_the_documented_schema(grid, tmp_path, capsys):
    out = tmp_path / "res"
    assert main([str(grid), "--all-pairs", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Wins / ties / losses" in printed and "m = 12" in printed
    assert "FrClinicalQA: cluster bootstrap" in printed
    assert sorted(p.name for p in out.iterdir()) == sorted(signif.OUTPUT_FILES)
    data = json.loads((out / "signif.json").read_text(encoding="utf-8"))
    assert set(data) == SCHEMA_TOP and data["medfr_signif_version"] == 1
    assert set(data["method"]) == SCHEMA_METHOD
    assert data["method"] == {
        "test": "bootstrap", "resamples": 10000, "alpha": 0.05, "correction": "bonferroni",
        "m": 12, "m_families": 3, "seed": 0,
    }  # fmt: skip
    assert data["lenient"] is False and data["warnings"] == [] and data["translation_gap"] == []
    # openqa holds two sets for every pair: one family-level test each.
    assert {(f["family"], len(f["tasks"])) for f in data["family_comparisons"]} == {("openqa", 2)}
    assert data["models"] == ["org/faible", "org/fort", "org/moyen"]
    assert len(data["comparisons"]) == 12
    for c in data["comparisons"]:
        assert set(c) == SCHEMA_COMPARISON
        assert c["level"] == pytest.approx(1 - 0.05 / 12)
        assert c["ci_low"] - 1e-12 <= c["diff"] <= c["ci_high"] + 1e-12
        assert c["metric"] == BY_TASK[c["task"]].metric
        assert c["bootstrap"] == ("cluster" if c["task"] == "medfr_frclinicalqa" else "paired")
    by = {(c["model_a"], c["model_b"], c["task"]): c for c in data["comparisons"]}
    for task in ("medfr_pubmedqa", "medfr_frmedmcqa", "medfr_kqa", "medfr_frclinicalqa"):
        assert by[("org/faible", "org/fort", task)]["decision"] == "loss"
    c = by[("org/faible", "org/fort", "medfr_pubmedqa")]
    assert (c["n"], c["score_a"], c["score_b"], c["diff"]) == (200, 0.3, 0.75, pytest.approx(-0.45))
    for w in data["win_rates"]:
        assert set(w) == SCHEMA_WIN
        assert w["win"] + w["tie"] + w["loss"] == pytest.approx(1.0)
    fams = {w["family"] for w in data["win_rates"]}
    assert fams == {"all", "mcq_translated", "mcq_native", "openqa"}
    faible_fort = [
        w for w in data["win_rates"] if w["model_a"] == "org/faible" and w["model_b"] == "org/fort"
    ]
    assert {w["family"]: (w["loss"], w["n_sets"]) for w in faible_fort} == {
        "all": (1.0, 4), "mcq_translated": (1.0, 1), "mcq_native": (1.0, 1), "openqa": (1.0, 2),
    }  # fmt: skip
    assert len(data["scores"]) == 12
    for s in data["scores"]:
        assert set(s) == SCHEMA_SCORE and s["ci_low"] <= s["score"] <= s["ci_high"]
    csv_lines = (out / "signif.csv").read_text(encoding="utf-8").splitlines()
    assert len(csv_lines) == 13 and csv_lines[0].startswith("pair_id,model_a,model_b,task")
    md = (out / "signif.md").read_text(encoding="utf-8")
    assert "| org/faible vs org/fort |" in md and "cluster bootstrap" in md and "| loss |" in md
    # English interface: no French word in what medfr writes around the data.
    assert not re.search("[àâçéèêëîïôûùü]", md + printed, re.IGNORECASE)
    assert (out / "signif_wtl.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (out / "signif_wtl.svg").read_bytes()[:500]
    assert not list(out.glob(".*.tmp"))
    # Same inputs, same bytes, the plots included.
    again = tmp_path / "again"
    assert main([str(grid), "--all-pairs", "--out", str(again)]) == 0
    for name in signif.OUTPUT_FILES:
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_help_shows_an_example(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "Example: medfr signif out/ --pairs study" in out and "--no-cluster" in out


def test_identical_models_tie_everywhere(tmp_path):
    values = {"medfr_pubmedqa": binary(100, 40), "medfr_kqa": list(np.linspace(0.2, 0.9, 30))}
    write_run(tmp_path / "o", "un", values)
    write_run(tmp_path / "o", "deux", values)
    runs = signif.load_runs([tmp_path / "o"])
    report = signif.compare(runs, signif.all_pairs(runs), correction="none")
    assert [c.result.decision for c in report.comparisons] == ["tie", "tie"]
    assert all(c.result.p_value == 1.0 for c in report.comparisons)


def test_model_right_everywhere_wins_and_baseline_orients_pairs(tmp_path):
    write_run(tmp_path / "o", "parfait", {"medfr_medqa_4opt": [1.0] * 120})
    write_run(tmp_path / "o", "base", {"medfr_medqa_4opt": binary(120, 30)})
    write_run(tmp_path / "o", "autre", {"medfr_medqa_4opt": binary(120, 30, offset=60)})
    runs = signif.load_runs([tmp_path / "o"])
    report = signif.compare(runs, signif.baseline_pairs(runs, "base"))
    got = {(c.pair.model_a, c.pair.model_b): c.result.decision for c in report.comparisons}
    assert got == {("parfait", "base"): "win", ("autre", "base"): "tie"}


def test_bonferroni_changes_a_borderline_decision_in_the_grid(tmp_path):
    # Per set: A alone right on 58 items, B alone on 37 (p about 0.037).
    a = binary(500, 58)
    b = binary(500, 37, offset=58)
    tasks = ["medfr_pubmedqa", "medfr_medqa_4opt"]
    write_run(tmp_path / "o", "a", dict.fromkeys(tasks, a))
    write_run(tmp_path / "o", "b", dict.fromkeys(tasks, b))
    runs = signif.load_runs([tmp_path / "o"])
    pairs = [signif.Pair("a", "b")]
    none = signif.compare(runs, pairs, correction="none")
    bonf = signif.compare(runs, pairs, correction="bonferroni")
    assert [c.result.decision for c in none.comparisons] == ["win", "win"]
    assert [c.result.decision for c in bonf.comparisons] == ["tie", "tie"]
    assert bonf.method["m"] == 2 and bonf.comparisons[0].result.level == pytest.approx(0.975)
    holm = signif.compare(runs, pairs, correction="holm")
    assert {round(c.result.level, 4) for c in holm.comparisons} == {0.975, 0.95}


def test_a_comparison_does_not_depend_on_the_other_pairs(grid):
    runs = signif.load_runs([grid])
    one = signif.compare(runs, [signif.Pair("org/fort", "org/faible")], correction="none")
    many = signif.compare(runs, signif.all_pairs(runs)[::-1] + [signif.Pair("org/fort", "org/faible")], correction="none")  # fmt: skip
    pick = [
        c
        for c in many.comparisons
        if c.pair.model_a == "org/fort" and c.pair.model_b == "org/faible"
    ]
    assert [c.result for c in one.comparisons] == [c.result for c in pick]


def test_cluster_bootstrap_is_the_default_for_frclinicalqa_and_can_be_turned_off(grid):
    runs = signif.load_runs([grid], tasks=["medfr_frclinicalqa"])
    report = signif.compare(runs, [signif.Pair("org/fort", "org/moyen")])
    (c,) = report.comparisons
    assert c.result.kind == "cluster" and c.n == 60 and c.n_clusters == 20
    assert any("cluster bootstrap" in n and "case_id" in n for n in report.notes)
    plain = signif.load_runs([grid], tasks=["medfr_frclinicalqa"], cluster=False)
    (p,) = signif.compare(plain, [signif.Pair("org/fort", "org/moyen")]).comparisons
    assert p.result.kind == "paired" and p.result.estimate == pytest.approx(c.result.estimate)


def test_model_names_from_results_pretrained_or_folder_and_overrides(tmp_path):
    write_run(tmp_path / "o", "mistralai/Mistral-7B-v0.1", {"medfr_pubmedqa": binary(10, 5)})
    noname = write_run(
        tmp_path / "o", None, {"medfr_pubmedqa": binary(10, 5)},
        model_args={"pretrained": "/scratch/ckpt-900", "dtype": "bfloat16"},
    )  # fmt: skip
    runs = signif.load_runs([tmp_path / "o"])
    # A local path is named by its last folder (the one naming rule, shared with the board).
    assert {r.name for r in runs} == {"mistralai/Mistral-7B-v0.1", "ckpt-900"}
    assert {r.model_name for r in runs} == {"mistralai/Mistral-7B-v0.1", "/scratch/ckpt-900"}
    (noname / f"results_{DATE}.json").unlink()
    runs = signif.load_runs([tmp_path / "o"])
    assert {r.name for r in runs} == {"mistralai/Mistral-7B-v0.1", "anonyme"}
    runs = signif.load_runs(
        [tmp_path / "o"],
        names={str(noname): "MedMistral-CPT-7B", "mistralai/Mistral-7B-v0.1": "base"},
    )
    assert {r.name for r in runs} == {"base", "MedMistral-CPT-7B"}
    with pytest.raises(signif.SignifError, match="matches no run"):
        signif.load_runs([tmp_path / "o"], names={"inconnu": "x"})


def test_study_preset_has_comparisons_a_to_k_and_matches_hub_names(tmp_path, monkeypatch, capsys):
    pairs = signif.load_pairs("study")
    assert [p.id for p in pairs] == list("ABCDEFGHIJK")
    assert (pairs[0].model_a, pairs[0].model_b) == ("MedMistral-CPT-7B", "Mistral-7B-v0.1")
    assert (pairs[9].model_a, pairs[9].model_b) == ("BioMistral-CPT-SFT-7B", "BioMistral-CPT-7B")
    write_run(tmp_path / "o", "mistralai/Mistral-7B-v0.1", {"medfr_pubmedqa": binary(50, 5)})
    write_run(tmp_path / "o", "ik-ram28/MedMistral-CPT-7B", {"medfr_pubmedqa": binary(50, 30)})
    runs = signif.load_runs([tmp_path / "o"])
    with pytest.raises(signif.SignifError, match="MedMistral-CPT-SFT-7B"):
        signif.compare(runs, pairs)
    warned: list[str] = []
    report = signif.compare(runs, pairs, lenient=True, warn=warned.append)
    assert [p.id for p in report.pairs] == ["A"] and report.method["m"] == 1
    assert report.comparisons[0].result.decision == "win"
    assert len(warned) == 10
    # Through the CLI, even from a folder that holds a directory named like the preset.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "study").mkdir()
    assert main(["o", "--pairs", "study", "--out", "res"]) == 2
    assert "MedMistral-CPT-SFT-7B" in capsys.readouterr().err
    assert main(["o", "--pairs", "study", "--lenient", "--out", "res"]) == 0
    data = json.loads((tmp_path / "res" / "signif.json").read_text(encoding="utf-8"))
    assert data["method"]["m"] == 1 and data["comparisons"][0]["decision"] == "win"
    assert data["comparisons"][0]["model_a"] == "ik-ram28/MedMistral-CPT-7B"


def test_pairs_file_errors_name_the_file_and_field(tmp_path):
    bad = tmp_path / "pairs.yaml"
    bad.write_text("pairs:\n  - {model_a: x, model_b: y, colour: red}\n", encoding="utf-8")
    with pytest.raises(signif.SignifError, match=r"pairs\.yaml.*pairs\[0\]\.colour"):
        signif.load_pairs(bad)
    bad.write_text("pairs:\n  - {model_a: x, model_b: [y\n", encoding="utf-8")
    with pytest.raises(signif.SignifError, match=r"pairs\.yaml:\d+: not valid YAML"):
        signif.load_pairs(bad)
    bad.write_text("pairs:\n  - {model_a: x, model_b: y, strategy: DPO}\n", encoding="utf-8")
    with pytest.raises(
        signif.SignifError, match=r"pairs\[0\]\.strategy: expected one of base, CPT"
    ):
        signif.load_pairs(bad)
    bad.write_text("paires: []\n", encoding="utf-8")
    with pytest.raises(signif.SignifError, match=r"pairs\.yaml: paires: unknown key"):
        signif.load_pairs(bad)
    with pytest.raises(signif.SignifError, match="not a preset"):
        signif.load_pairs(tmp_path / "absent.yaml")


@pytest.fixture
def two(tmp_path) -> tuple[Path, Path, Path]:
    out = tmp_path / "o"
    a = write_run(out, "a", {"medfr_pubmedqa": binary(40, 30), "medfr_kqa": [0.6] * 20})
    b = write_run(out, "b", {"medfr_pubmedqa": binary(40, 10), "medfr_kqa": [0.5] * 20})
    return out, a, b


def _cli_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    return err[0]


def test_different_doc_ids_are_refused_or_intersected_with_lenient(tmp_path, capsys):
    out = tmp_path / "o"
    write_run(out, "a", {"medfr_pubmedqa": binary(40, 30)})
    write_run(out, "b", {"medfr_pubmedqa": binary(40, 10)},
              doc_ids={"medfr_pubmedqa": list(range(5, 45))})  # fmt: skip
    msg = _cli_error(capsys, [str(out), "--out", str(tmp_path / "r")])
    assert "samples_medfr_pubmedqa" in msg and "different doc ids" in msg and "doc_id" in msg
    assert not (tmp_path / "r").exists()
    assert main([str(out), "--lenient", "--out", str(tmp_path / "r")]) == 0
    assert "--lenient" in capsys.readouterr().err
    (c,) = json.loads((tmp_path / "r" / "signif.json").read_text())["comparisons"]
    assert c["n"] == 35


def test_prompt_hash_mismatch_is_refused_unless_ignored(tmp_path, capsys):
    out = tmp_path / "o"
    write_run(out, "a", {"medfr_pubmedqa": binary(40, 30)})
    write_run(out, "b", {"medfr_pubmedqa": binary(40, 10)}, prompt_prefix="[INST] Question")
    msg = _cli_error(capsys, [str(out), "--out", str(tmp_path / "r")])
    assert "prompt_hash" in msg and "40 of 40" in msg
    assert main([str(out), "--ignore-prompt-hash", "--out", str(tmp_path / "r")]) == 0


def test_task_for_one_model_only(two, tmp_path, capsys):
    out, a, b = two
    (b / f"samples_medfr_kqa_{DATE}.jsonl").unlink()
    msg = _cli_error(capsys, [str(out), "--out", str(tmp_path / "r")])
    assert "medfr_kqa is logged for a but not for b" in msg and str(a) in msg
    assert main([str(out), "--lenient", "--out", str(tmp_path / "r")]) == 0
    data = json.loads((tmp_path / "r" / "signif.json").read_text())
    assert [c["task"] for c in data["comparisons"]] == ["medfr_pubmedqa"]


def test_empty_and_truncated_logs(two, tmp_path, capsys):
    out, a, b = two
    log = b / f"samples_medfr_pubmedqa_{DATE}.jsonl"
    text = log.read_text(encoding="utf-8")
    log.write_text("", encoding="utf-8")
    msg = _cli_error(capsys, [str(out), "--out", str(tmp_path / "r")])
    assert str(log) in msg and "empty" in msg
    log.write_text(text[: len(text) - 40], encoding="utf-8")  # cut inside the last line
    msg = _cli_error(capsys, [str(out), "--out", str(tmp_path / "r")])
    assert f"{log}:40" in msg and "truncated" in msg
    log.write_text(
        "".join(text.splitlines(keepends=True)[:30]), encoding="utf-8"
    )  # cut at a line end
    msg = _cli_error(capsys, [str(out), "--out", str(tmp_path / "r")])
    assert "30 samples logged but the results file counts 40" in msg
    assert main([str(out), "--lenient", "--out", str(tmp_path / "r")]) == 0
    assert "truncated" in capsys.readouterr().err


def test_metric_missing_from_a_sample(two, tmp_path, capsys):
    out, a, b = two
    log = a / f"samples_medfr_pubmedqa_{DATE}.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[6])
    del rec["acc"]
    lines[6] = json.dumps(rec)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    msg = _cli_error(capsys, [str(out), "--out", str(tmp_path / "r")])
    assert f"{log}:7: acc: metric 'acc' missing" in msg
    assert main([str(out), "--lenient", "--out", str(tmp_path / "r")]) == 0
    by_task = {
        c["task"]: c
        for c in json.loads((tmp_path / "r" / "signif.json").read_text())["comparisons"]
    }
    assert by_task["medfr_pubmedqa"]["n"] == 39


def test_cluster_key_missing_is_named(tmp_path):
    out = tmp_path / "o"
    write_run(out, "a", {"medfr_frclinicalqa": [0.5] * 9})
    log = next((out / "a").glob("samples_*.jsonl"))
    log.write_text(log.read_text().replace(', "case_id": "cas-2"', ""), encoding="utf-8")
    with pytest.raises(DataError, match=r":7: doc\.case_id: cluster key missing"):
        signif.load_runs([out])
    assert signif.load_runs([out], cluster=False)[0].tasks["medfr_frclinicalqa"].n == 9


def test_latest_timestamp_per_task_is_used_and_said(tmp_path):
    out = tmp_path / "o"
    write_run(out, "a", {"medfr_pubmedqa": binary(20, 2)}, date="2026-01-01T09-00-00.000001")
    write_run(out, "a", {"medfr_pubmedqa": binary(20, 15)}, date="2026-01-03T09-00-00")
    write_run(out, "b", {"medfr_pubmedqa": binary(20, 2)})
    runs = signif.load_runs([out])
    a = next(r for r in runs if r.name == "a")
    assert a.tasks["medfr_pubmedqa"].values.sum() == 15
    report = signif.compare(runs, [signif.Pair("a", "b")])
    assert any("using the latest (2026-01-03T09-00-00)" in n for n in report.notes)


def test_runs_given_as_model_folders_and_non_medfr_tasks(two, tmp_path):
    out, a, b = two
    (a / f"samples_arc_easy_{DATE}.jsonl").write_text('{"doc_id": 0}\n', encoding="utf-8")
    runs = signif.load_runs([a, b / f"results_{DATE}.json"])
    assert [r.name for r in runs] == ["a", "b"]
    assert any("arc_easy" in n for n in runs[0].notes)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no lm-eval output"):
        signif.load_runs([tmp_path / "empty"])
    with pytest.raises(DataError, match="no such file"):
        signif.load_runs([tmp_path / "nowhere"])
    (b / f"samples_medfr_pubmedqa_{DATE}.jsonl").unlink()
    (b / f"samples_medfr_kqa_{DATE}.jsonl").unlink()
    with pytest.raises(DataError, match="results only: rerun lm_eval with --log_samples"):
        signif.load_runs([b])


def test_same_name_twice_asks_for_a_rename(tmp_path, capsys):
    write_run(tmp_path / "x", "m", {"medfr_pubmedqa": binary(10, 3)})
    write_run(tmp_path / "y", "m", {"medfr_pubmedqa": binary(10, 6)})
    msg = _cli_error(
        capsys, [str(tmp_path / "x"), str(tmp_path / "y"), "--out", str(tmp_path / "r")]
    )
    assert "--name RUN_DIR=NAME" in msg
    argv = [str(tmp_path / "x"), str(tmp_path / "y"), "--name", f"{tmp_path / 'y'}=m2"]
    assert main([*argv, "--out", str(tmp_path / "r"), "--seed", "3", "--resamples", "500"]) == 0
    data = json.loads((tmp_path / "r" / "signif.json").read_text())
    assert data["models"] == ["m", "m2"] and data["method"]["seed"] == 3


def test_cli_option_errors_exit_2(two, tmp_path, capsys):
    out, _, _ = two
    msg = _cli_error(capsys, [str(out), "--baseline", "zzz", "--out", str(tmp_path / "r")])
    assert "'zzz' matches no run" in msg
    assert main([str(out), "--alpha", "2"]) == 2
    assert "--alpha" in capsys.readouterr().err
    assert main([str(out), "--tasks", "medfr_inconnu"]) == 2
    assert "unknown medfr set or group 'medfr_inconnu'" in capsys.readouterr().err
    assert main([str(out), "--name", "sans-egal"]) == 2
    assert "expected RUN_DIR=NAME" in capsys.readouterr().err
    assert main([str(out), "--all-pairs", "--baseline", "a"]) == 2
    assert "exclude each other" in capsys.readouterr().err
    assert main([str(out), "--tasks", "medfr_openqa", "--out", str(tmp_path / "r")]) == 0
    data = json.loads((tmp_path / "r" / "signif.json").read_text())
    assert [c["task"] for c in data["comparisons"]] == ["medfr_kqa"]


def test_terminal_tables_are_english_and_cut_nothing(grid):
    """English words around the data; a narrow terminal folds cells, never cuts them."""
    from rich.console import Console

    from medfr_eval.signif.cli import print_report

    runs = signif.load_runs([grid])
    report = signif.compare(runs, signif.all_pairs(runs), resamples=200)
    wide, narrow = Console(width=200, record=True), Console(width=60, record=True)
    print_report(report, wide)
    print_report(report, narrow)
    text = wide.export_text()
    assert "Wins / ties / losses" in text
    assert "org/faible vs org/fort" in text and "FrClinicalQA (clusters)" in text
    assert "All study sets" in text and not re.search("[àâçéèêëîïôûùü]", text, re.IGNORECASE)
    assert "…" not in narrow.export_text()
