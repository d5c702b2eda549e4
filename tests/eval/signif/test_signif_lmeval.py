"""medfr-signif on sample logs written by lm-eval 0.4.13 itself, for our tasks, on tiny models.

Two tiny Mistral models (different random weights) run three of our tasks
(translated MCQ, multi-answer MCQ, open QA with its clinical cases) on the
shipped samples; the logs are saved with lm-eval's ``EvaluationTracker`` exactly
as ``lm_eval --output_path OUT --log_samples`` does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from medfr_eval import signif
from medfr_eval.cli import signif_main as main
from medfr_eval.core.sets import BY_TASK

sys.path.insert(0, str(Path(__file__).parent))
from signif_fixtures import edit_line  # noqa: E402

TASKS = ["medfr_pubmedqa", "medfr_frmedmcqa", "medfr_frclinicalqa"]
LIMIT = 8  # items per set: enough for two clinical cases, keeps the test near 10 s


def _other_weights(model_dir: Path, out: Path) -> Path:
    """The same tiny model (same tokenizer, so the same prompts) with other random weights;
    cheaper than training a second tokenizer."""
    import shutil

    import torch
    from transformers import AutoModelForCausalLM

    shutil.copytree(model_dir, out, dirs_exist_ok=True)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.05)
    model.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def lm_eval_out(tmp_path_factory, tiny_model_dir, tiny_bert_dir, sample_task_manager) -> Path:
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker

    second = _other_weights(tiny_model_dir, tmp_path_factory.mktemp("tiny_mistral_b"))
    out = tmp_path_factory.mktemp("lm_eval_out")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MEDFR_BERTSCORE_MODEL", str(tiny_bert_dir))
        mp.setenv("MEDFR_BERTSCORE_LAYER", "2")
        for model_dir in (tiny_model_dir, second):
            tracker = EvaluationTracker(output_path=str(out))
            results = simple_evaluate(
                model="hf",
                model_args={"pretrained": str(model_dir), "max_length": 512},
                tasks=TASKS,
                device="cpu",
                batch_size=16,
                limit=LIMIT,
                gen_kwargs="max_gen_toks=12",
                log_samples=True,
                evaluation_tracker=tracker,
                task_manager=sample_task_manager,
                metadata={"medfr_data": "sample"},
            )
            samples = results.pop("samples")
            tracker.save_results_aggregated(results=results, samples=samples)
            for task in results["configs"]:
                tracker.save_results_samples(task_name=task, samples=samples[task])
    return out


def test_parses_real_lm_eval_logs_of_our_tasks(lm_eval_out, tiny_model_dir):
    runs = signif.load_runs([lm_eval_out])
    assert len(runs) == 2
    first = next(r for r in runs if r.model_name == str(tiny_model_dir))
    assert first.name == tiny_model_dir.name  # a local path is named by its folder
    assert sorted(first.tasks) == sorted(TASKS)
    results = json.loads(next(first.folder.glob("results_*.json")).read_text(encoding="utf-8"))
    for task, log in first.tasks.items():
        spec = BY_TASK[task]
        assert log.metric == spec.metric and log.filter == spec.filter
        assert log.n == results["n-samples"][task]["effective"]
        assert sorted(log.doc_ids.tolist()) == list(range(log.n))
        # Our per-item values average to lm-eval's own aggregate.
        assert log.values.mean() == pytest.approx(results["results"][task][spec.result_key])
        assert all(h and len(h) == 64 for h in log.prompt_hashes)
    assert set(np.unique(first.tasks["medfr_pubmedqa"].values)) <= {0.0, 1.0}
    cases = first.tasks["medfr_frclinicalqa"].clusters
    assert cases is not None and 1 < len(set(cases)) < len(cases)


def test_pairs_real_logs_and_writes_the_report(lm_eval_out, tmp_path, capsys):
    res = tmp_path / "res"
    assert main([str(lm_eval_out), "--out", str(res), "--resamples", "2000"]) == 0
    data = json.loads((res / "signif.json").read_text(encoding="utf-8"))
    assert data["method"]["m"] == 3
    by_task = {c["task"]: c for c in data["comparisons"]}
    assert sorted(by_task) == sorted(TASKS)
    assert by_task["medfr_frclinicalqa"]["bootstrap"] == "cluster"
    assert by_task["medfr_frmedmcqa"]["metric"] == "emr"
    assert len(data["scores"]) == 6
    assert "cluster bootstrap" in capsys.readouterr().out


def test_real_log_from_another_prompt_is_refused(lm_eval_out, tmp_path, capsys):
    import hashlib
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(lm_eval_out, copy)
    folder = sorted(p for p in copy.iterdir() if p.is_dir())[1]
    log = next(folder.glob("samples_medfr_pubmedqa_*.jsonl"))

    def other_prompt(rec: dict) -> None:  # another template: text and hash agree
        prompt = "[INST] " + rec["arguments"]["gen_args_0"]["arg_0"]
        rec["arguments"]["gen_args_0"]["arg_0"] = prompt
        rec["prompt_hash"] = hashlib.sha256(prompt.encode("utf-8")).hexdigest()

    edit_line(log, 3, other_prompt)
    assert main([str(copy), "--out", str(tmp_path / "r"), "--resamples", "200"]) == 2
    err = capsys.readouterr().err
    assert "prompt_hash" in err and "first doc_id" in err and str(log) in err
    # An edited prompt that kept its hash is caught when the log is read.
    edit_line(log, 3, lambda rec: rec["arguments"]["gen_args_0"].update(arg_0="autre"))
    assert main([str(copy), "--out", str(tmp_path / "r"), "--resamples", "200"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {log}:4: prompt_hash: does not match")


def test_runs_scored_under_other_settings_are_refused_unless_allowed(lm_eval_out, tmp_path, capsys):
    import shutil

    from medfr_eval import lmeval_output as lo

    copy = tmp_path / "copy"
    shutil.copytree(lm_eval_out, copy)
    first, second = sorted(p for p in copy.iterdir() if p.is_dir())
    # What lm-eval logged for a generation task: the settings that change scores, and not
    # the install path (config_source) nor the model args lm-eval copies into metadata.
    run = lo.read_run(first, samples=False)
    settings = lo.score_settings(run.tasks["medfr_frclinicalqa"])
    assert settings["generation_kwargs.max_gen_toks"] == 12 and settings["num_fewshot"] == 0
    assert not any("config_source" in k or "medfr_data" in k for k in settings)
    results = next(second.glob("results_*.json"))
    data = json.loads(results.read_text(encoding="utf-8"))
    data["configs"]["medfr_frclinicalqa"]["generation_kwargs"]["max_gen_toks"] = 64
    data["configs"]["medfr_frclinicalqa"]["metadata"]["bertscore_model"] = "autre-bert"
    results.write_text(json.dumps(data), encoding="utf-8")
    assert main([str(copy), "--out", str(tmp_path / "r"), "--resamples", "200"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "generation_kwargs.max_gen_toks: 12 vs 64" in err[0]
    assert "metadata.bertscore_model" in err[0] and str(results) in err[0]
    assert "--allow-setting-mismatch" in err[0]
    argv = [str(copy), "--out", str(tmp_path / "r"), "--resamples", "200"]
    assert main([*argv, "--allow-setting-mismatch"]) == 0
    out = json.loads((tmp_path / "r" / "signif.json").read_text(encoding="utf-8"))
    kinds = [w for w in out["warnings"] if w["kind"] == "settings"]
    assert len(kinds) == 1 and "max_gen_toks" in kinds[0]["message"]
    assert "max_gen_toks" in (tmp_path / "r" / "signif.md").read_text(encoding="utf-8")
