"""Recipe loading: TRL dataclasses, study defaults, overrides, and every bad-input path."""

from __future__ import annotations

from pathlib import Path

import pytest
from train_helpers import write_recipe

from medfr_eval.cli import train_main as main
from medfr_train.errors import RecipeError
from medfr_train.recipe import DORA_TARGETS, load_recipe


def test_cpt_recipe_is_trl_dataclasses(cpt_recipe):
    from trl import ModelConfig, SFTConfig

    r = load_recipe(cpt_recipe)
    (s,) = r.stages
    assert isinstance(s.args, SFTConfig) and isinstance(s.model, ModelConfig)
    assert s.args.learning_rate == pytest.approx(1e-3)  # "1.0e-3" coerced to float
    assert s.block_size == 32 and s.args.max_length == 32
    assert s.args.packing is False and s.args.completion_only_loss is False
    # a key the recipe leaves out takes TRL's (transformers') default: no second copy of the
    # study's settings, which the shipped recipes state
    defaults = SFTConfig.__dataclass_fields__
    assert s.args.weight_decay == defaults["weight_decay"].default
    assert s.args.lr_scheduler_type.value == defaults["lr_scheduler_type"].default
    assert s.args.bf16 is False  # no bf16 GPU here


def test_the_study_dora_is_stated_by_the_shipped_recipe():
    from medfr_eval.core.resources import recipes_dir

    recipe = recipes_dir() / "medmistral-sft-7b" / "sft" / "config_dora.yaml"
    (s,) = load_recipe(recipe, check_data=False).stages
    m, a = s.model, s.args
    assert (m.use_peft, m.use_dora, m.lora_r, m.lora_alpha, m.lora_dropout) == (
        True,
        True,
        16,
        16,
        0.05,
    )
    assert m.lora_target_modules == DORA_TARGETS
    assert (a.per_device_train_batch_size, a.per_device_eval_batch_size) == (4, 8)
    assert (a.gradient_accumulation_steps, a.num_train_epochs, a.seed) == (2, 10, 42)
    assert a.packing is True


def test_overrides_trlparser_style(tmp_path, tiny_model_dir, train_data):
    p = write_recipe(
        tmp_path / "chain.yaml",
        f"""strategy: CPT+SFT
output_dir: {tmp_path / "out"}
stages:
  cpt:
    model_name_or_path: {tiny_model_dir}
    dataset_files: [corpus.txt]
    block_size: 32
  sft:
    model_name_or_path: ${{cpt.output_dir}}
    dataset_files: [sft.jsonl]
    max_length: 128
    num_train_epochs: 10
""",
    )
    r = load_recipe(
        p, ["--learning_rate", "1e-4", "--stage.cpt.num_train_epochs=1", "--merge_adapter"]
    )
    cpt, sft = r.stages
    assert cpt.args.learning_rate == sft.args.learning_rate == pytest.approx(1e-4)
    assert cpt.args.num_train_epochs == 1 and sft.args.num_train_epochs == 10
    assert sft.merge_adapter is True
    assert cpt.output_dir == tmp_path / "out" / "cpt"
    assert sft.model.model_name_or_path == str(tmp_path / "out" / "cpt")
    assert cpt.hash != load_recipe(p).stages[0].hash  # overrides change the stage identity


def test_values_are_typed_by_trl_parser(tmp_path, tiny_model_dir, train_data):
    """YAML strings, ints and scalars-for-lists reach TRL as the field's type."""
    p = write_recipe(
        tmp_path / "t.yaml",
        f"strategy: SFT\nmodel_name_or_path: {tiny_model_dir}\ndataset_files: [sft.jsonl]\n"
        f"output_dir: {tmp_path / 'o'}\nmax_length: 128\nlearning_rate: 2e-5\n"
        "num_train_epochs: 3\nlora_target_modules: q_proj\nmerge_adapter: 'yes'\n",
    )
    (s,) = load_recipe(p).stages
    assert s.args.learning_rate == 2e-5 and isinstance(s.args.learning_rate, float)
    assert s.args.num_train_epochs == 3.0 and isinstance(s.args.num_train_epochs, float)
    assert s.model.lora_target_modules == "q_proj"  # TRL unwraps a one-item list
    assert s.merge_adapter is True
    assert s.values["learning_rate"] == 2e-5


BAD = [
    # (yaml body after the common head, expected field, expected line or None, message part)
    ("learnin_rate: 0.1\n", "learnin_rate", 6, "unknown key"),
    ("learning_rate: beaucoup\n", "learning_rate", 6, "invalid float value"),
    ("num_train_epochs: [1]\n", "num_train_epochs", 6, "expected one value"),
    ("use_peft: peut-etre\n", "use_peft", 6, "peut-etre"),
    ("strategy: DPO\n", "strategy", 6, "invalid choice"),  # the last of two keys wins
    ("lr_scheduler_type: zigzag\n", "lr_scheduler_type", 6, "zigzag"),
    ("block_size: 4096\n", "block_size", 6, "above the model's context"),
    ("packing: true\n", "packing", 6, "CPT packs the corpus"),
    ("merge_adapter: true\n", "merge_adapter", 6, "SFT key"),
    ("run_card: {prix: 3}\n", "run_card.prix", 6, "unknown key"),
]


@pytest.mark.parametrize("extra,field,line,msg", BAD)
def test_bad_recipe_names_file_field_line(
    tmp_path, tiny_model_dir, train_data, extra, field, line, msg
):
    p = write_recipe(
        tmp_path / "bad.yaml",
        f"strategy: CPT\nmodel_name_or_path: {tiny_model_dir}\ndataset_files: [corpus.txt]\n"
        f"output_dir: {tmp_path / 'out'}\nblock_size: 32\n" + extra,
    )
    with pytest.raises(RecipeError) as ei:
        load_recipe(p)
    e = ei.value
    assert e.file == str(p) and e.field == field and e.line == line and msg in e.message, str(e)


def test_bad_inputs_more(tmp_path, tiny_model_dir, train_data):
    head = f"model_name_or_path: {tiny_model_dir}\noutput_dir: {tmp_path / 'o'}\n"
    cpt = "strategy: CPT\nblock_size: 32\n" + head
    cases = {
        "missing.yaml": None,
        "yaml.yaml": "strategy: CPT\n  bad: [indent\n",
        "list.yaml": "- a\n- b\n",
        "strategy.yaml": "strategy: DPO\n" + head + "dataset_files: [corpus.txt]\n",
        "nofile.yaml": cpt + "dataset_files: [absent.txt]\n",
        "nodata.yaml": cpt,
        "empty.yaml": cpt + "dataset_files: [vide.txt]\n",
        "stage.yaml": "strategy: CPT+SFT\n" + head + "stages:\n  cpt: {}\n  dpo: {}\n",
        "sftbad.yaml": "strategy: SFT\n" + head + "dataset_files: [bad.jsonl]\n",
        "interp.yaml": "strategy: SFT\nmodel_name_or_path: ${cpt.output_dir}\n"
        f"output_dir: {tmp_path}\ndataset_files: [sft.jsonl]\n",
    }
    (tmp_path / "vide.txt").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "bad.jsonl").write_text('{"id": "x", "type": "mcq"}\n', encoding="utf-8")
    fields = {
        "missing.yaml": "recipe",
        "yaml.yaml": None,  # medfr_eval.core.fileio.read_yaml: file and line only
        "list.yaml": "recipe",
        "strategy.yaml": "strategy",
        "nofile.yaml": "dataset_files",
        "nodata.yaml": "dataset_files",
        "empty.yaml": "dataset_files",
        "stage.yaml": "stages.dpo",
        "sftbad.yaml": "dataset_files",
        "interp.yaml": "model_name_or_path",
    }
    for name, text in cases.items():
        p = tmp_path / name
        if text is not None:
            p.write_text(text, encoding="utf-8")
        with pytest.raises(RecipeError) as ei:
            load_recipe(p)
        assert ei.value.field == fields[name], (name, str(ei.value))
        assert str(p) in str(ei.value)
    # the SFT row error names file, line and field of the data
    with pytest.raises(RecipeError, match=r"bad.jsonl:1: question: missing"):
        load_recipe(tmp_path / "sftbad.yaml")


def test_cli_exit_2_and_nothing_written(tmp_path, tiny_model_dir, train_data, capsys):
    out = tmp_path / "never"
    p = write_recipe(
        tmp_path / "r.yaml",
        f"strategy: CPT\nmodel_name_or_path: {tiny_model_dir}\ndataset_files: [corpus.txt]\n"
        f"output_dir: {out}\nblock_size: 100000\n",
    )
    assert main(["check", str(p)]) == 2
    assert main(["recipe", str(p)]) == 2
    err = capsys.readouterr().err
    assert "block_size" in err and str(p) in err
    assert not out.exists()
    assert main(["recipe", str(p), "--block_size", "32", "--bogus", "1"]) == 2
    assert "--bogus" in capsys.readouterr().err
    assert not out.exists()


def _shipped() -> list[Path]:
    from medfr_eval.core.resources import recipes_dir

    root = recipes_dir()
    return sorted(p for p in root.rglob("*.yaml") if "accelerate_configs" not in p.parts)


def test_every_shipped_recipe_checks(tmp_path, tiny_model_dir, monkeypatch):
    paths = _shipped()
    names = {str(p.relative_to(p.parents[2])) for p in paths if len(p.parents) > 2}
    assert len([p for p in paths if "demo" not in p.parts]) >= 12  # A-K + cpt_sft.yaml
    assert {"demo/pretrain.yaml", "demo/cpt.yaml", "demo/sft.yaml", "demo/cpt_sft.yaml"} <= {
        f"{p.parent.name}/{p.name}" for p in paths
    }
    assert names
    monkeypatch.chdir(tmp_path)
    for p in paths:
        first = p.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("#"), f"{p} must start with a comment"
        text = p.read_text(encoding="utf-8")
        assert "Run:" in text and "Needs:" in text, p
        over = []
        if "demo" in p.parts:
            # the demo base model is built by the demo; check against the tiny one
            over = ["--model_name_or_path", str(tiny_model_dir)]
            if "cpt_sft" in p.name:
                over = ["--stage.cpt.model_name_or_path", str(tiny_model_dir)]
        data_shipped = all(
            (p.parent / f).exists() for f in ("../data/cpt_corpus.txt", "../data/sft_sample.jsonl")
        )
        recipe = load_recipe(p, over, check_data="demo" in p.parts and data_shipped)
        assert recipe.stages, p
        assert main(["check", str(p), "--skip-data", *over]) == 0


def test_study_recipes_cover_a_to_k():
    """One recipe per adapted model of the study, named after it."""
    from medfr_eval.core.resources import recipes_dir

    models = {
        "medmistral-cpt-7b",
        "medmistral-cpt-sft-7b",
        "medmistral-sft-7b",
        "medmistralinstruct-cpt-7b",
        "medmistralinstruct-cpt-sft-7b",
        "biomistral-cpt-7b",
        "biomistral-cpt-sft-7b",
        "biomistral-sft-7b",
    }
    found = {}
    for p in recipes_dir().rglob("config_*.yaml"):
        rel = p.relative_to(recipes_dir())
        cid = p.read_text(encoding="utf-8").split("Comparison ", 1)[1][0]
        found[cid] = rel.parts[0]
    assert sorted(found) == list("ABCDEFGHIJK")
    assert set(found.values()) == models


def test_command_line_output_dir_wins_in_chained_recipes(tmp_path):
    """--output_dir moves both stages (and the SFT start point); --stage.X.output_dir moves one."""

    from medfr_eval.core.resources import recipes_dir

    demo = recipes_dir() / "demo" / "cpt_sft.yaml"
    moved = load_recipe(demo, ["--output_dir", str(tmp_path / "run")], check_data=False)
    assert [s.args.output_dir for s in moved.stages] == [
        str(tmp_path / "run" / "cpt"),
        str(tmp_path / "run" / "sft"),
    ]
    assert moved.stages[1].model.model_name_or_path == str(tmp_path / "run" / "cpt")
    one = load_recipe(
        demo, ["--stage.sft.output_dir", str(tmp_path / "only_sft")], check_data=False
    )
    assert one.stages[1].args.output_dir == str(tmp_path / "only_sft")
    assert one.stages[0].args.output_dir != str(tmp_path / "only_sft")
