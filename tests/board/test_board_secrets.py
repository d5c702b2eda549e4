"""Credentials never reach the board: a secret-bearing field refuses the run, naming file and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from board_fixtures import BASE, CPT, build, run_card, write_run

from medfr_eval.board.publish import is_secret_key, secret_fields
from medfr_eval.board.table import slugify
from medfr_eval.cli import board_main as main

TOKEN = "hf_FAKEtokenFAKEtokenFAKEtoken1234"


def everything(folder: Path) -> str:
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


def card_path(runs) -> Path:
    return runs["tmp"] / "models" / "cpt" / "run_card.json"


def edit_card(runs, change) -> None:
    path = card_path(runs)
    card = json.loads(path.read_text())
    change(card)
    path.write_text(json.dumps(card))


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_hub_token_in_a_run_card_refuses_the_build(runs, capsys):
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    before = everything(site)
    capsys.readouterr()
    edit_card(runs, lambda c: c["recipe"].update(stages={"cpt": {"hub_token": TOKEN}}))
    assert build(runs, site) == 2
    line = one_line(capsys)
    assert line.startswith("error: ") and "run_card.json" in line
    assert "recipe.stages.cpt.hub_token" in line and "secret" in line
    assert TOKEN not in line
    assert everything(site) == before  # the previous site stays, nothing of the card in it
    assert not [p for p in site.parent.iterdir() if ".tmp-" in p.name]


@pytest.mark.parametrize("key", ["api_key", "HF_TOKEN", "dbPassword", "client_secret"])
def test_any_secret_named_field_of_a_card_is_refused(runs, capsys, key):
    edit_card(runs, lambda c: c.update(extra={key: TOKEN}))
    site = runs["tmp"] / "site"
    assert build(runs, site) == 2
    assert f"extra.{key}" in one_line(capsys)
    assert not site.exists()


def test_redacted_placeholders_and_tokenizer_settings_are_published(runs):
    def change(card):
        card["recipe"].update(hub_token="<redacted>", pad_token="</s>", max_new_tokens=64,
                              push_to_hub_token=None)  # fmt: skip

    edit_card(runs, change)
    site = runs["tmp"] / "site"
    assert build(runs, site) == 0
    page = (site / "models" / f"{slugify(CPT)}.html").read_text()
    assert "&lt;redacted&gt;" in page and "&lt;/s&gt;" in page
    assert "Tokens seen" in page  # tokens_seen is a count, not a credential


def test_token_in_model_args_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    folder = write_run(out, BASE, 0.3, seed=1, pretrained=f"{BASE},token={TOKEN}")
    site = tmp_path / "site"
    assert main(["build", str(out), "--board", str(tmp_path / "e"), "-o", str(site)]) == 2
    line = one_line(capsys)
    assert "config.model_args.token" in line and "results_" in line and TOKEN not in line
    assert not site.exists()
    assert folder.is_dir()


@pytest.fixture
def board(tmp_path):
    trusted = tmp_path / "trusted"
    write_run(trusted, BASE, 0.3, seed=1)
    ref = tmp_path / "lb" / "reference.json"
    assert main(["reference", str(trusted), "-o", str(ref)]) == 0
    return tmp_path / "lb" / "entries"


def test_add_refuses_a_card_with_a_secret_and_copies_nothing(tmp_path, board, capsys):
    sub = tmp_path / "submission"
    folder = write_run(sub, CPT, 0.6, seed=2)
    card = run_card(CPT, BASE, "CPT", 1.0)
    card["recipe"]["hub_token"] = TOKEN
    (folder / "run_card.json").write_text(json.dumps(card))
    capsys.readouterr()
    assert main(["add", str(sub), "--board", str(board)]) == 2
    assert "recipe.hub_token" in one_line(capsys)
    assert TOKEN not in everything(board)
    assert not (board / slugify(CPT)).exists()


def test_add_refuses_a_secret_anywhere_in_the_results_it_would_copy(tmp_path, board, capsys):
    sub = tmp_path / "submission"
    folder = write_run(sub, CPT, 0.6, seed=2)
    (results,) = folder.glob("results_*.json")
    data = json.loads(results.read_text())
    data["configs"]["medfr_kqa"]["metadata"]["judge"] = {"api_key": TOKEN}
    results.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["add", str(sub), "--board", str(board)]) == 2
    line = one_line(capsys)
    assert results.name in line and "configs.medfr_kqa.metadata.judge.api_key" in line
    assert TOKEN not in everything(board)


@pytest.mark.parametrize(
    ("key", "secret"),
    [("hub_token", True), ("hubToken", True), ("HUB-TOKEN", True), ("api_key", True),
     ("apikey", True), ("access_token", True), ("password", True), ("aws_secret_access_key", True),
     ("Authorization", True), ("tokens_seen", False), ("max_new_tokens", False),
     ("pad_token", False), ("eos_token_id", False), ("tokenizer_name", False),
     ("sort_keys", False), ("special_tokens", False), ("hub_model_id", False)],
)  # fmt: skip
def test_secret_bearing_key_predicate(key, secret):
    assert is_secret_key(key) is secret


def test_secret_fields_name_dotted_paths_and_skip_empty_values():
    card = {"recipe": {"stages": {"cpt": {"hub_token": TOKEN, "pad_token": "</s>"}}},
            "keys": [{"api_key": "k"}, {"api_key": ""}], "x": {"hub_token": None}}  # fmt: skip
    assert secret_fields(card) == ["recipe.stages.cpt.hub_token", "keys[0].api_key"]
