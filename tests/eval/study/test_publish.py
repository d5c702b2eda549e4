"""Publishing a study run: signif over the study's pairs, the comparison, the board with its paper page."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from medfr_eval.cli import main
from medfr_eval.core.sets import SETS
from medfr_eval.study import Layout, load_study, status
from medfr_eval.study.run import record_study
from medfr_eval.study.synthetic import write_model_run

sys.path.insert(0, str(Path(__file__).parent))
from studyfiles import PAIRS, PAPER, STUDY, write_study  # noqa: E402

FULL = STUDY.replace("tasks: [medfr_mmlu_anatomy, medfr_frmedqa]", "tasks: [medfr_all]")


def _values(seed: int, n: int = 24) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    out = {}
    for s in SETS:
        if s.kind.startswith("openqa"):
            out[s.task] = list(rng.uniform(0.4, 0.7, n))
        else:
            out[s.task] = list((rng.uniform(size=n) < 0.4).astype(float))
    return out


@pytest.fixture()
def full_run(tmp_path):
    """A study of two models on the 15 sets, both done (synthetic lm-eval output)."""
    path = write_study(
        tmp_path / "study", study=FULL.format(a="/models/a", b="/models/b", bert="bert")
    )
    study = load_study(path)
    lay = Layout(tmp_path / "run")
    record_study(study, lay)
    for i, m in enumerate(study.models):
        write_model_run(lay.model_dir(m), study, m, _values(i))
    return path, study, lay


def test_publish_pairs_compares_and_builds_the_board_then_does_nothing(full_run, capsys):
    path, study, lay = full_run
    assert main(["study", "publish", str(path), "-o", str(lay.root)]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    sig = json.loads((lay.signif / "signif.json").read_text())
    assert {(c["model_a"], c["model_b"]) for c in sig["comparisons"]} == {("model-b", "model-a")}
    assert len(sig["comparisons"]) == 15 and sig["method"]["resamples"] == 200
    cmp = json.loads((lay.compare / "compare.json").read_text())
    assert cmp["win_tie_loss"][0]["ours"]["n_sets"] == 15  # signif's rates beside the paper's
    page = (lay.site / "paper.html").read_text()
    assert "This run beside the paper" in page and "figures written for the tests" in page
    assert 'href="paper.html">Paper</a>' in (lay.site / "index.html").read_text()
    entries = {p.stem: p.read_text() for p in lay.entries.glob("*.yaml")}
    assert "name: model-b" in entries["model-b"] and "strategy: CPT" in entries["model-b"]
    assert "site:" in out
    before = {p: p.stat().st_mtime_ns for p in lay.root.rglob("*") if p.is_file()}
    assert main(["study", "publish", str(path), "-o", str(lay.root)]) == 0
    assert "up to date, nothing to do" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in lay.root.rglob("*") if p.is_file()} == before


def test_a_model_evaluated_under_other_settings_is_refused_for_pairing(full_run, capsys):
    path, study, lay = full_run
    results = next(lay.model_dir(study.model("model-b")).rglob("results_*.json"))
    data = json.loads(results.read_text())
    data["configs"]["medfr_kqa"]["num_fewshot"] = 5
    results.write_text(json.dumps(data))
    st = status(study, lay, study.model("model-b"))
    assert st.state == "stale" and st.problems == ["medfr_kqa: num_fewshot: 5 vs 0"]
    assert main(["study", "publish", str(path), "-o", str(lay.root)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {lay.models}: 1 of 2 models are not done")
    assert "model-b: medfr_kqa: num_fewshot: 5 vs 0" in err[0]
    assert not lay.signif.exists()


@pytest.mark.parametrize(
    "override, problem",
    [
        (
            "evaluation.gen_kwargs.max_gen_toks=8",
            "medfr_kqa: generation_kwargs.max_gen_toks: 4 vs 8",
        ),
        ("evaluation.bertscore.layer=3", "medfr_kqa: metadata.medfr_bertscore.num_layers: 2 vs 3"),
        ("evaluation.data=hub", "medfr_medqa_4opt: medfr_data: 'sample' vs 'hub'"),
        ("evaluation.backend=vllm", "model: 'hf' vs 'vllm'"),
    ],
)
def test_results_under_other_settings_are_stale_naming_the_field(full_run, override, problem):
    path, _, lay = full_run
    study = load_study(path, overrides=[override])
    st = status(study, lay, study.model("model-a"))
    assert st.state == "stale" and any(p.startswith(problem) for p in st.problems), st.problems


def test_another_model_at_the_same_name_is_stale(full_run):
    path, _, lay = full_run
    study = load_study(path, model_paths={"model-a": "/models/other"})
    st = status(study, lay, study.model("model-a"))
    assert st.problems == ["model_args.pretrained: '/models/a' vs '/models/other'"]


def test_a_results_file_of_a_missing_set_is_incomplete(full_run):
    path, study, lay = full_run
    folder = next(lay.model_dir(study.model("model-a")).iterdir())
    next(folder.glob("samples_medfr_kqa_*.jsonl")).unlink()
    st = status(study, lay, study.model("model-a"))
    assert st.state == "stale" and st.problems[0] == "no sample log for medfr_kqa"


def test_pairs_given_to_signif_are_the_studys_then_the_paper_rows(tmp_path):
    pairs = PAIRS + "  - {model_a: model-a, model_b: model-b}\n"
    study = load_study(write_study(tmp_path, pairs=pairs, paper=PAPER))
    assert [(p.model_a, p.model_b) for p in study.all_pairs()] == [
        ("model-b", "model-a"), ("model-a", "model-b")]  # fmt: skip
