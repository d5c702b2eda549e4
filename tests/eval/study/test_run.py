"""``medfr study run``: lm-eval per model on tiny models, skip when done, resume from lm-eval's cache."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from medfr_eval.cli import main
from medfr_eval.study import Layout, load_study, status
from medfr_eval.study.plan import array_task_argv, cache_prefix, lm_eval_argv, publish_argv

sys.path.insert(0, str(Path(__file__).parent))
from studyfiles import STUDY, write_study  # noqa: E402


def _argv(tmp_path, *overrides, text=None):
    study = load_study(
        write_study(tmp_path, study=text, a="/m/a", b="/m/b"), overrides=list(overrides)
    )
    m = study.model("model-b")
    return lm_eval_argv(study, m, tmp_path / "out", tmp_path / "cache" / "lm")


def test_one_lm_eval_command_per_model_with_the_studys_settings(tmp_path):
    argv = _argv(tmp_path)
    assert argv[:3] == [sys.executable, "-m", "lm_eval"]
    opts = dict(zip(argv[3::2], argv[4::2], strict=False))
    assert opts["--model"] == "hf" and opts["--model_args"] == "pretrained=/m/b,dtype=float32"
    assert opts["--tasks"] == "medfr_mmlu_anatomy,medfr_frmedqa" and opts["--num_fewshot"] == "0"
    assert (
        opts["--gen_kwargs"] == "max_gen_toks=4"
        and opts["--metadata"] == '{"medfr_data": "sample"}'
    )
    tail = [
        "--log_samples",
        "--output_path",
        str(tmp_path / "out"),
        "--use_cache",
        str(tmp_path / "cache" / "lm"),
    ]
    assert argv[-5:] == tail and "--apply_chat_template" not in argv


def test_vllm_parallelism_goes_to_its_model_args_and_hf_data_parallel_to_accelerate(tmp_path):
    argv = _argv(
        tmp_path,
        "evaluation.backend=vllm",
        "evaluation.tensor_parallel=2",
        "evaluation.data_parallel=4",
    )
    args = argv[argv.index("--model_args") + 1]
    assert "tensor_parallel_size=2" in args and "data_parallel_size=4" in args
    argv = _argv(tmp_path, "evaluation.data_parallel=2")
    assert argv[1:6] == ["-m", "accelerate.commands.launch", "--num_processes", "2", "-m"]
    text = STUDY.format(a="/m/a", b="/m/b", bert="c").replace(
        "    strategy: CPT", "    strategy: CPT\n    chat_template: true"
    )
    assert "--apply_chat_template" in _argv(tmp_path, text=text)


def test_the_cache_changes_with_the_weights_of_a_local_model(tmp_path):
    model = tmp_path / "weights"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"one")
    study = load_study(write_study(tmp_path / "s", a=str(model), b="/m/b"))
    lay = Layout(tmp_path / "run")
    before = cache_prefix(lay, study, study.model("model-a"))
    (model / "model.safetensors").write_bytes(b"other weights")
    assert cache_prefix(lay, study, study.model("model-a")) != before


def test_an_interrupted_evaluation_stops_lm_eval_and_leaves_no_folder(tmp_path):
    """SIGTERM (a scheduler's kill) while a model runs: the child stops, the temp output goes."""
    study_file = write_study(tmp_path / "s", a="/m/a", b="/m/b")
    run_dir, pid_file = tmp_path / "run", tmp_path / "child.pid"
    child = (f"import os, pathlib, sys, time; out = pathlib.Path(sys.argv[sys.argv.index('--output_path') + 1]); "
             f"(out / 'partial.json').write_text('{{}}'); pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid())); "
             "time.sleep(120)")  # fmt: skip
    script = textwrap.dedent(f"""
        import sys
        from medfr_eval.study import load_study, plan, run
        run.lm_eval_argv = lambda *a: [sys.executable, "-c", {child!r}, *plan.lm_eval_argv(*a)]
        study = load_study({str(study_file)!r})
        try:
            run.evaluate_model(study, plan.Layout(__import__("pathlib").Path({str(run_dir)!r})), study.model("model-a"))
        except KeyboardInterrupt:
            sys.exit(130)
    """)  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 120
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pid_file.exists(), "the child never started"
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 130
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)
    assert [p.name for p in (run_dir / "models").iterdir()] == []  # no temp, no model folder


@pytest.mark.slow
def test_run_skip_and_resume_on_tiny_models(tmp_path, tiny_model_dir, tiny_bert_dir, capsys):
    models = {}
    for name in ("a", "b"):
        models[name] = tmp_path / "models" / name
        shutil.copytree(tiny_model_dir, models[name])
    path = write_study(
        tmp_path / "s", a=str(models["a"]), b=str(models["b"]), bert=str(tiny_bert_dir)
    )
    run_dir = tmp_path / "run"
    lay = Layout(run_dir)

    assert main(["study", "run", str(path), "-o", str(run_dir), "--no-publish"]) == 0, (
        capsys.readouterr().err
    )
    out = capsys.readouterr().out
    assert "[1/2] model-a: evaluating" in out and "[2/2] model-b: evaluated in" in out
    study = load_study(path)
    assert all(status(study, lay, m).done for m in study.models)
    assert sorted(p.name for p in lay.models.iterdir()) == [
        "model-a",
        "model-b",
    ]  # no temp folder left

    # A rerun does nothing: both skipped, nothing rewritten.
    stamp = {p: p.stat().st_mtime_ns for p in lay.models.rglob("*")}
    assert main(["study", "run", str(path), "-o", str(run_dir), "--no-publish"]) == 0
    out = capsys.readouterr().out
    assert out.count("done, skipped (2 sets, same settings)") == 2 and "evaluating" not in out
    assert {p: p.stat().st_mtime_ns for p in lay.models.rglob("*")} == stamp

    # A model whose results are lost after its answers were computed: evaluated again from
    # lm-eval's cache, not one request sent to the model.
    shutil.rmtree(lay.model_dir(study.model("model-b")))
    argv = array_task_argv(study, run_dir, study.model("model-b"))  # what an array task runs
    assert argv[:2] == ["medfr", "study"] and main(argv[1:]) == 0
    out = capsys.readouterr().out
    assert "model-b: evaluating" in out and "model-a" not in out
    log = lay.log(study.model("model-b")).read_text()
    assert "Requests remaining: 0" in log and "Cached requests: 0," not in log
    assert status(study, lay, study.model("model-b")).done


def test_array_task_and_final_commands_carry_the_command_line_values(tmp_path):
    study = load_study(write_study(tmp_path, a="/m/a", b="/m/b"), overrides=["evaluation.batch_size=4"],
                       model_paths={"model-a": "/x/a"})  # fmt: skip
    run_dir = tmp_path / "run"
    assert array_task_argv(study, run_dir, study.model("model-b")) == [
        "medfr", "study", "run", str(study.path), "-o", str(run_dir), "--only", "model-b",
        "--set", "evaluation.batch_size=4", "--model-path", "model-a=/x/a"]  # fmt: skip
    assert publish_argv(study, run_dir)[:3] == ["medfr", "study", "publish"]
