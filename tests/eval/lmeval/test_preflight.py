"""A bad MEDFR_DATA row or prompt template is found before lm-eval loads the model: one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from medfr_eval.core.errors import DataError
from medfr_eval.lmeval.preflight import check_data

GOOD = {"id": "1", "question": "q", "options": ["a", "b", "c", "d"], "answer": "A"}


def _folder(tmp_path, *rows):
    d = tmp_path / "data"
    d.mkdir()
    (d / "medqa_4opt.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return d


def test_lm_eval_cli_stops_on_a_bad_row_before_loading_the_model(tmp_path):
    d = _folder(tmp_path, GOOD, {**GOOD, "id": "2", "answer": "F"})
    env = dict(os.environ, MEDFR_DATA=str(d), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    # the model does not exist: reaching the model loader would be another error
    cmd = [sys.executable, "-m", "lm_eval", "--tasks", "medfr_medqa_4opt", "--model", "hf",
           "--model_args", f"pretrained={tmp_path / 'no-such-model'}", "--device", "cpu"]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert errors == [
        f"error: {d / 'medqa_4opt.jsonl'}:2: answer: expected one of A, B, C, D, got 'F'"
    ]


def test_groups_check_every_requested_file(tmp_path):
    d = _folder(tmp_path, GOOD)
    assert check_data(["medfr_all"], {"medfr_data": str(d)}) == 1
    assert check_data("medfr_medqa_4opt,medfr_pubmedqa", {"medfr_data": str(d)}) == 1
    assert check_data(["hellaswag"], {"medfr_data": str(d)}) == 0
    (d / "medqa_4opt.jsonl").write_bytes(b'{"id": "\xe9"}\n')
    with pytest.raises(DataError, match="medqa_4opt.jsonl:1: not UTF-8"):
        check_data(["medfr_all"], {"medfr_data": str(d)})


def test_a_broken_prompt_template_is_found_before_the_model(tmp_path):
    p = tmp_path / "prompts"
    p.mkdir()
    (p / "mcq.j2").write_text("{{ question.__class__.__mro__ }}")
    with pytest.raises(DataError, match="prompt template error"):
        check_data(["medfr_medqa_4opt"], json.dumps({"medfr_prompts": str(p)}))


# ------------------------------------------------------------ sets without data, all at once


def _evaluate_without_loading(tiny_model_dir, tasks, metadata, monkeypatch):
    """``simple_evaluate`` with the tiny model, whose loading fails the test if it is reached."""
    import lm_eval
    from lm_eval.models.huggingface import HFLM

    import medfr_eval

    def no_model(self, *args, **kwargs):
        raise AssertionError("the model was loaded before the data check")

    monkeypatch.setattr(HFLM, "__init__", no_model)
    tm = medfr_eval.task_manager(include_defaults=False)
    return lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={tiny_model_dir},dtype=float32",
        tasks=tasks,
        task_manager=tm,
        metadata=metadata,
        device="cpu",
    )


@pytest.fixture()
def offline_empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MEDFR_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MEDFR_DATA", raising=False)
    monkeypatch.delenv("MEDFR_HUB_SOURCES", raising=False)


def test_every_missing_set_is_named_before_the_model_loads(
    tiny_model_dir, offline_empty_cache, monkeypatch
):
    from medfr_eval.core.sets import GROUPS, get_set

    with pytest.raises(DataError) as err:
        _evaluate_without_loading(tiny_model_dir, ["medfr_all"], None, monkeypatch)
    message = str(err.value)
    assert message.startswith("medfr_data: no data for 15 of the 15 requested sets")
    public_part, private_part = message.split("no public copy: ", 1)
    sets = [get_set(t) for t in GROUPS["medfr_all"]]
    for es in sets:
        part = public_part if es.public_source else private_part
        assert es.name in part, es.name
    assert "HF_HUB_OFFLINE is set" in public_part and "`medfr data fetch -o DIR`" in public_part
    assert "request them from the study's authors" in private_part


def test_sets_with_a_file_or_a_cached_copy_are_not_named(
    tiny_model_dir, offline_empty_cache, tmp_path, monkeypatch
):
    from medfr_eval.data.fetch import cached_folder, fetch
    from medfr_eval.data.public_sources import SOURCES, synthetic

    source = SOURCES["bioinstructqa"]
    synthetic.write_bioinstructqa(tmp_path / "repos" / source.repo, per_corpus=3)
    fetch(["medqa_4opt"], cached_folder(source), from_dir=tmp_path / "repos")
    d = tmp_path / "data"
    d.mkdir()
    (d / "frmedqa.jsonl").write_text(json.dumps({"id": "1", "question": "q", "answer": "r"}) + "\n")
    tasks = ["medfr_medqa_4opt_perm1", "medfr_frenchmedmcqa_gen", "medfr_frmedqa", "medfr_kqa"]
    with pytest.raises(DataError) as err:
        _evaluate_without_loading(tiny_model_dir, tasks, {"medfr_data": str(d)}, monkeypatch)
    message = str(err.value)
    assert f"no data for 2 of the 4 requested sets (none in {d})" in message
    assert f"frenchmedmcqa: run `medfr data fetch -o {d}`" in message
    assert "no public copy: kqa:" in message
    assert "medqa_4opt" not in message and "frmedqa" not in message


def test_a_connected_machine_leaves_public_copies_to_the_loader(
    tiny_model_dir, offline_empty_cache, monkeypatch
):
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with pytest.raises(DataError) as err:
        _evaluate_without_loading(tiny_model_dir, ["medfr_all"], None, monkeypatch)
    message = str(err.value)
    assert "no data for 5 of the 15 requested sets" in message
    assert "medqa_4opt" not in message and "HF_HUB_OFFLINE" not in message


def test_shipped_samples_need_no_check(offline_empty_cache):
    from medfr_eval.lmeval.preflight import check_sources

    check_sources(["medfr_all", "medfr_public"], {"medfr_data": "sample"})
    check_sources(["hellaswag"], None)
