"""Bad training input: values that would train nothing, foreign output folders, broken
checkpoints, remote code, non-UTF-8 inputs. Each is refused in one line, or warned loudly."""

from __future__ import annotations

import json
import math

import pytest

from medfr_eval.cli import train_main as main


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _line_of(path, key: str) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if ln.startswith(key))


# ------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("num_train_epochs", "-3"),
        ("num_train_epochs", "0"),
        ("per_device_train_batch_size", "-4"),
        ("per_device_train_batch_size", "0"),
        ("learning_rate", "-1e-5"),
        ("learning_rate", "nan"),
        ("learning_rate", "inf"),
        ("gradient_accumulation_steps", "0"),
        ("max_steps", "0"),
        ("save_steps", "-5"),
        ("seed", "-1"),
    ],
)
def test_check_refuses_values_that_train_nothing_or_fail_late(cpt_recipe, capsys, key, value):
    assert main(["check", str(cpt_recipe), f"--{key}", value]) == 2
    err = _one_line(capsys.readouterr().err)
    assert err.startswith(f"error: command line: --{key}: must be"), err


def test_negative_epochs_in_the_file_name_file_line_key(cpt_recipe, capsys):
    text = cpt_recipe.read_text().replace("num_train_epochs: 1", "num_train_epochs: -3")
    cpt_recipe.write_text(text)
    line = _line_of(cpt_recipe, "num_train_epochs")
    assert main(["check", str(cpt_recipe)]) == 2
    err = _one_line(capsys.readouterr().err)
    assert err.startswith(f"error: {cpt_recipe}:{line}: num_train_epochs: must be a number > 0")


def test_recipe_refuses_negative_epochs_before_loading_anything(cpt_recipe, capsys, monkeypatch):
    import medfr_train.cpt

    def never(*a, **k):
        raise AssertionError("training started")

    monkeypatch.setattr(medfr_train.cpt, "train_cpt", never)
    assert main(["recipe", str(cpt_recipe), "--num_train_epochs", "-3"]) == 2
    assert "num_train_epochs" in _one_line(capsys.readouterr().err)
    assert not (cpt_recipe.parent / "out_cpt").exists()


def test_negative_dora_rank_is_refused(tmp_path, tiny_model_dir, train_data, capsys):
    recipe = tmp_path / "sft.yaml"
    recipe.write_text(
        f"strategy: SFT\nmodel_name_or_path: {tiny_model_dir}\ndataset_files: [sft.jsonl]\n"
        f"output_dir: {tmp_path / 'o'}\nlora_r: -16\nuse_peft: true\n"
    )
    assert main(["check", str(recipe)]) == 2
    assert f"{recipe}:5: lora_r: must be an integer >= 1" in _one_line(capsys.readouterr().err)


def test_max_steps_makes_epochs_irrelevant(cpt_recipe, capsys):
    assert main(["check", str(cpt_recipe), "--num_train_epochs", "0", "--max_steps", "3"]) == 0


# ------------------------------------------------------------- output folder


def test_foreign_output_dir_is_refused_unless_force(cpt_recipe, capsys, monkeypatch):
    import medfr_train.cpt

    out = cpt_recipe.parent / "out_cpt"
    out.mkdir()
    (out / "config.json").write_text("{}")
    (out / "notes.txt").write_text("mes notes")
    assert main(["recipe", str(cpt_recipe)]) == 2
    err = _one_line(capsys.readouterr().err)
    line = _line_of(cpt_recipe, "output_dir")
    assert err.startswith(f"error: {cpt_recipe}:{line}: output_dir: {out} is not empty")
    assert "config.json" in err and "--force" in err
    assert (out / "notes.txt").read_text() == "mes notes"

    called = []
    monkeypatch.setattr(medfr_train.cpt, "train_cpt", lambda *a: called.append(a) or 1 / 0)
    with pytest.raises(ZeroDivisionError):  # --force gets past the check, into training
        main(["recipe", str(cpt_recipe), "--force"])
    assert called


def test_output_dir_named_on_the_command_line(cpt_recipe, tmp_path, capsys):
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "README.md").write_text("x")
    assert main(["recipe", str(cpt_recipe), "--output_dir", str(other)]) == 2
    assert "error: command line: --output_dir:" in _one_line(capsys.readouterr().err)


def test_output_dir_that_is_a_file_is_refused(cpt_recipe, tmp_path, capsys):
    target = tmp_path / "a_file"
    target.write_text("x")
    assert main(["recipe", str(cpt_recipe), "--output_dir", str(target), "--force"]) == 2
    assert "is a file, not a folder" in _one_line(capsys.readouterr().err)


def test_our_own_output_dir_is_accepted(tmp_path):
    from medfr_train.outputs import check_output_dir

    def boom(message):
        return AssertionError(message)

    for marker in ("run_card.json", "checkpoint-5"):
        d = tmp_path / marker.replace(".", "_")
        (d / marker).parent.mkdir(parents=True)
        (d / marker).mkdir() if marker.startswith("checkpoint") else (d / marker).write_text("{}")
        (d / "config.json").write_text("{}")
        check_output_dir(d, boom, force=False)
    check_output_dir(tmp_path / "new", boom, force=False)


# ------------------------------------------------------------- checkpoints


def _checkpoint(out, step, *, state=True, weights=True):
    d = out / f"checkpoint-{step}"
    d.mkdir(parents=True)
    if state:
        (d / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    if weights:
        (d / "model.safetensors").write_bytes(b"x")
    return d


def test_resume_takes_the_last_complete_checkpoint_and_says_so(tmp_path):
    from medfr_train.outputs import resume_point

    out = tmp_path / "out"
    good = _checkpoint(out, 10)
    _checkpoint(out, 20, state=False)  # killed while saving
    _checkpoint(out, 30, weights=False)
    (out / "checkpoint-999").mkdir()  # junk
    (out / "checkpoint-1000").write_text("not a folder")
    said: list[str] = []
    assert resume_point(out, True, said.append) == str(good)
    text = "\n".join(said)
    assert "checkpoint-20: no trainer_state.json" in text
    assert "checkpoint-30: no model weights" in text
    assert "checkpoint-999" in text and "checkpoint-1000" in text
    assert said[-1] == f"resuming from {good}"


def test_resume_with_only_junk_starts_over_and_says_so(tmp_path):
    from medfr_train.outputs import resume_point

    out = tmp_path / "out"
    (out / "checkpoint-999").mkdir(parents=True)
    said: list[str] = []
    assert resume_point(out, True, said.append) is None
    assert "no complete checkpoint" in said[-1]


def test_rerun_without_resume_over_checkpoints_says_it_restarts(tmp_path):
    from medfr_train.outputs import resume_point

    out = tmp_path / "out"
    _checkpoint(out, 10)
    said: list[str] = []
    assert resume_point(out, False, said.append) is None
    assert "starts again from step 0" in said[0] and "--resume" in said[0]


@pytest.mark.slow
def test_resume_after_a_half_written_checkpoint_trains_on(cpt_recipe, capsys):
    """End to end on the tiny model: checkpoint-4 lost its state, checkpoint-999 is junk."""
    common = ["--max_steps", "4", "--save_strategy", "steps", "--save_steps", "2"]
    assert main(["recipe", str(cpt_recipe), *common]) == 0
    out = cpt_recipe.parent / "out_cpt"
    (out / "checkpoint-4" / "trainer_state.json").unlink()
    (out / "checkpoint-999").mkdir()
    capsys.readouterr()
    assert main(["recipe", str(cpt_recipe), "--resume", "--force", "--max_steps", "6",
                 "--save_strategy", "steps", "--save_steps", "2"]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "skipping" in err and "checkpoint-4" in err and "checkpoint-999" in err
    card = json.loads((out / "run_card.json").read_text())
    assert card["stages"][0]["resumed_from"].endswith("checkpoint-2")
    assert card["stages"][0]["global_steps"] == 6


# ------------------------------------------------------------- remote code


def test_trust_remote_code_is_said_loudly_in_check_and_at_run_time(cpt_recipe, capsys, monkeypatch):
    import medfr_train.cpt

    assert main(["check", str(cpt_recipe), "--trust_remote_code", "true"]) == 0
    out = capsys.readouterr().out
    assert "WARNING" in out and "trust_remote_code" in out and "RUN PYTHON CODE" in out

    def stop(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(medfr_train.cpt, "train_cpt", stop)
    assert main(["recipe", str(cpt_recipe), "--trust_remote_code", "true"]) == 130
    err = capsys.readouterr().err
    assert "WARNING" in err and "RUN PYTHON CODE" in err


def test_no_warning_without_remote_code(cpt_recipe, capsys):
    assert main(["check", str(cpt_recipe)]) == 0
    assert "RUN PYTHON CODE" not in capsys.readouterr().out


# ------------------------------------------------------------- encodings and files


def test_non_utf8_recipe_names_file_and_line(cpt_recipe, capsys):
    cpt_recipe.write_bytes(cpt_recipe.read_bytes() + "# réglages\n".encode("latin-1"))
    n = len(cpt_recipe.read_bytes().splitlines())
    assert main(["check", str(cpt_recipe)]) == 2
    assert _one_line(capsys.readouterr().err).startswith(f"error: {cpt_recipe}:{n}: not UTF-8")


def test_non_utf8_sft_file_names_file_and_line(train_data, capsys):
    sft = train_data["sft"]
    sft.write_bytes(sft.read_bytes() + '{"id": "é"}\n'.encode("latin-1"))
    n = len(sft.read_bytes().splitlines())
    assert main(["validate-sft", str(sft)]) == 2
    assert _one_line(capsys.readouterr().err).startswith(f"error: {sft}:{n}: not UTF-8")


def test_non_utf8_cpt_corpus_is_found_by_check(cpt_recipe, train_data, capsys):
    corpus = train_data["corpus"]
    corpus.write_bytes(corpus.read_bytes() + "Le cœur.\n".encode("cp1252"))
    assert main(["check", str(cpt_recipe)]) == 2
    err = _one_line(capsys.readouterr().err)
    assert "dataset_files" in err and f"{corpus}:" in err and "not UTF-8" in err


def test_sft_file_with_bom_and_deep_nesting(train_data, capsys):
    sft = train_data["sft"]
    sft.write_text(sft.read_text(encoding="utf-8"), encoding="utf-8-sig")  # Windows editors
    assert main(["validate-sft", str(sft)]) == 0
    sft.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    assert main(["validate-sft", str(sft)]) == 2
    assert "nested too deeply" in _one_line(capsys.readouterr().err)


def test_recipe_nested_too_deeply_is_one_line(tmp_path, capsys):
    recipe = tmp_path / "deep.yaml"
    recipe.write_text("a: " + "[" * 20_000 + "]" * 20_000 + "\n")
    assert main(["check", str(recipe)]) == 2
    _one_line(capsys.readouterr().err)


# ------------------------------------------------------------- run card


def test_run_card_turns_nan_into_null_on_purpose(tmp_path):
    from medfr_train.runcard import write_card

    path = write_card({"stages": [{"train_loss": math.nan}], "energy_kwh": math.inf}, tmp_path)
    card = json.loads(path.read_text())  # strict JSON: no NaN token in the file
    assert card["stages"][0]["train_loss"] is None and card["energy_kwh"] is None
    assert card["non_finite"] == ["stages[0].train_loss", "energy_kwh"]
    assert "NaN" not in path.read_text() and "Infinity" not in path.read_text()


# ------------------------------------------------------------- other commands


def test_prepare_corpus_into_a_folder_is_one_line(tmp_path, capsys):
    src = tmp_path / "c.txt"
    src.write_text("Le patient présente une fièvre élevée depuis trois jours sans autre signe.\n")
    out = tmp_path / "out"
    out.mkdir()
    assert main(["prepare-corpus", str(src), "-o", str(out), "--lang", "", "--no-progress"]) == 2
    assert f"error: {out}: --output: is a folder" in _one_line(capsys.readouterr().err)
    assert list(out.iterdir()) == []


def test_prepare_corpus_does_not_follow_a_planted_tmp_symlink(tmp_path):
    """Before: the temp file was always ``OUT.tmp``; a symlink there was written through."""
    src = tmp_path / "c.txt"
    src.write_text("Le patient présente une fièvre élevée depuis trois jours sans autre signe.\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("précieux")
    out = tmp_path / "out.jsonl"
    (tmp_path / "out.jsonl.tmp").symlink_to(victim)
    assert main(["prepare-corpus", str(src), "-o", str(out), "--lang", "", "--no-progress"]) == 0
    assert victim.read_text() == "précieux"
    assert json.loads(out.read_text().splitlines()[0])["text"].startswith("Le patient")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp") and not p.is_symlink()]


def test_build_sft_non_utf8_source_is_one_line(tmp_path, capsys):
    src = tmp_path / "src.jsonl"
    src.write_bytes(b'{"instruction": "q", "answer": "a", "origin": "native"}\n{"a": "\xe9"}\n')
    out = tmp_path / "o" / "sft.jsonl"
    args = [str(src), "-o", str(out), "--native", "1", "--translated", "0", "--synthetic", "0"]
    assert main(["build-sft", *args, "--no-decontaminate"]) == 2
    assert _one_line(capsys.readouterr().err).startswith(f"error: {src}:2: not UTF-8")
    assert not out.exists()


def test_sft_cannot_write_over_the_model_it_starts_from(
    tmp_path, tiny_model_dir, train_data, capsys
):
    """Before: the SFT stage saved its adapter into the CPT folder and deleted the CPT weights."""
    recipe = tmp_path / "chain.yaml"
    out = tmp_path / "shared"
    recipe.write_text(
        f"strategy: CPT+SFT\nmodel_name_or_path: {tiny_model_dir}\n"
        "stages:\n"
        f"  cpt:\n    dataset_files: [corpus.txt]\n    block_size: 32\n    output_dir: {out}\n"
        f"  sft:\n    model_name_or_path: {out}\n    dataset_files: [sft.jsonl]\n"
        f"    output_dir: {out}\n"
    )
    assert main(["recipe", str(recipe), "--force"]) == 2
    err = _one_line(capsys.readouterr().err)
    assert f"{recipe}:11: stages.sft.output_dir:" in err and "also stage cpt's output_dir" in err
    assert not out.exists()


def test_output_dir_cannot_be_the_base_model(tmp_path, tiny_model_dir, train_data, capsys):
    recipe = tmp_path / "sft.yaml"
    recipe.write_text(
        f"strategy: SFT\nmodel_name_or_path: {tiny_model_dir}\ndataset_files: [sft.jsonl]\n"
        f"output_dir: {tiny_model_dir}\n"
    )
    assert main(["recipe", str(recipe), "--force"]) == 2
    assert "is also the model this stage starts from" in _one_line(capsys.readouterr().err)


def test_check_says_what_recipe_would_refuse(cpt_recipe, capsys):
    out = cpt_recipe.parent / "out_cpt"
    out.mkdir()
    (out / "config.json").write_text("{}")
    assert main(["check", str(cpt_recipe)]) == 0
    text = capsys.readouterr().out.replace("\n", "")
    assert "note:" in text and "is not empty" in text and "--force" in text
    assert main(["check", str(cpt_recipe), "--output_dir", str(cpt_recipe)]) == 2
    assert "is a file, not a folder" in _one_line(capsys.readouterr().err)
