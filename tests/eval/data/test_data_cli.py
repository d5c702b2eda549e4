"""medfr data (medfr-data): list, validate, convert (atomic, exit 2 on bad rows), show."""

from __future__ import annotations

import csv
import json

from medfr_eval.cli import data_main as main


def test_list_and_show(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "medfr_frclinicalqa" in out and "medfr_mmlu_anatomy" in out
    assert main(["show", "frmedmcqa", "-n", "1"]) == 0
    out = capsys.readouterr().out
    assert "Une ou plusieurs options sont justes" in out and "[expected answer:" in out


def test_validate_shipped_samples_and_a_bad_file(tmp_path, capsys):
    from medfr_eval.core.resources import samples_dir

    assert main(["validate", str(samples_dir())]) == 0
    bad = tmp_path / "medqa_4opt.jsonl"
    bad.write_text(
        json.dumps({"id": "x", "question": "q", "options": ["a", "b", "c", "d"], "answer": "F"})
        + "\n"
    )
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {bad}:1: answer: expected one of A, B, C, D, got 'F'\n"
    assert main(["validate", str(tmp_path / "nope")]) == 2


def _csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


ROWS = [
    {
        "qid": "1",
        "q": "Quel organe sécrète l'insuline ?",
        "a": "Le foie",
        "b": "Le pancréas",
        "c": "La rate",
        "d": "Le rein",
        "gold": "2",
    },
    {
        "qid": "2",
        "q": "Quel os forme la cuisse ?",
        "a": "Le fémur",
        "b": "Le tibia",
        "c": "Le radius",
        "d": "L'humérus",
        "gold": "1",
    },
]
MAP = ["--map", "id=qid", "--map", "question=q", "--map", "options=a,b,c,d", "--map", "answer=gold"]


def _convert(src, out) -> int:
    """``medfr-data convert`` of our CSV layout into the MedMCQA schema."""
    return main(
        ["convert", str(src), "--set", "medmcqa", "-o", str(out), *MAP, "--answer-format", "index1"]
    )


def test_convert_csv_with_mapping(tmp_path):
    src = _csv(tmp_path / "in.csv", ROWS)
    out = tmp_path / "data" / "medmcqa.jsonl"
    assert _convert(src, out) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["answer"] for r in lines] == ["B", "A"] and lines[0]["options"][1] == "Le pancréas"
    assert main(["validate", str(out)]) == 0
    assert not list(out.parent.glob("*.tmp"))


def test_convert_bad_row_writes_nothing(tmp_path, capsys):
    rows = [ROWS[0], {**ROWS[1], "gold": "9"}]
    src = _csv(tmp_path / "in.csv", rows)
    out = tmp_path / "medmcqa.jsonl"
    assert _convert(src, out) == 2
    err = capsys.readouterr().err
    assert "in.csv:3" in err and "answer" in err  # file line: the header is line 1
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_convert_missing_column_and_unknown_set(tmp_path, capsys):
    src = _csv(tmp_path / "in.csv", ROWS)
    out = tmp_path / "x.jsonl"
    assert (
        main(["convert", str(src), "--set", "medmcqa", "-o", str(out), "--map", "question=nope"])
        == 2
    )
    assert "'nope'" in capsys.readouterr().err and not out.exists()
    assert main(["convert", str(src), "--set", "medqa_9opt", "-o", str(out)]) == 2
    assert "unknown medfr set" in capsys.readouterr().err


def test_unknown_set_and_bad_map_are_one_line_errors(tmp_path, capsys):
    assert main(["show", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: NAME: unknown medfr set 'nope'") and err.count("\n") == 1
    src = _csv(tmp_path / "in.csv", ROWS)
    assert main(["convert", str(src), "--set", "medmcqa", "-o", "x.jsonl", "--map", "q"]) == 2
    assert capsys.readouterr().err == "error: --map: expected ours=theirs, got 'q'\n"


def test_extra_commands_join_the_group(tmp_path, monkeypatch, capsys):
    """The hook another module (``medfr_eval/data/fetch_cli.py``) uses to add ``medfr data fetch``."""
    from medfr_eval.data import cli as data_cli

    for name in data_cli.EXTRA_COMMANDS:  # the shipped ones always import
        assert data_cli.data.get_command(None, name) is not None

    (tmp_path / "medfr_test_extra.py").write_text(
        "import click\n"
        "@click.command(epilog='Example: medfr data hello')\n"
        "def hello():\n"
        "    '''Say hello.'''\n"
        "    click.echo('bonjour')\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(
        data_cli,
        "EXTRA_COMMANDS",
        {"hello": "medfr_test_extra:hello"},
    )
    assert main(["--help"]) == 0
    assert "hello" in capsys.readouterr().out
    assert main(["hello"]) == 0 and capsys.readouterr().out == "bonjour\n"


def test_validate_a_file_not_named_after_a_set(tmp_path, capsys):
    path = tmp_path / "mine.jsonl"
    path.write_text("{}\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: file name: unknown medfr set 'mine'")
    assert "given with --set" in err


def test_list_shows_every_set_whole_in_80_columns(monkeypatch, capsys):
    """The study's 15 and the public extras, each name whole on one line, public ones marked."""
    from medfr_eval.core.sets import ALL_SETS

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("MEDFR_HUB_SOURCES", raising=False)
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    for s in ALL_SETS:
        row = next((line.split() for line in lines if s.task in line.split()), None)
        assert row is not None, s.task  # the task name whole, never folded
        assert s.metric in row
        if s.public_source:
            assert row[-2:] == ["public:", s.public_source], row
        else:
            assert row[-3:] == ["from", "the", "authors"], row
    assert any("medfr-data fetch -o DIR" in line for line in lines)  # named as typed


def test_show_says_a_shipped_sample_item_is_a_sample(tmp_path, capsys):
    from medfr_eval.core.resources import samples_dir

    assert main(["show", "kqa"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("note: a sample item shipped with medfr, written for illustration")
    assert "not from the real K-QA set" in out
    (tmp_path / "kqa.jsonl").write_bytes((samples_dir() / "kqa.jsonl").read_bytes())
    assert main(["show", "kqa", "--data", str(tmp_path)]) == 0
    assert "sample item" not in capsys.readouterr().out  # the user's own files: no note


def test_show_speaks_english(capsys):
    assert main(["show", "medqa_4opt"]) == 0
    out = capsys.readouterr().out
    assert "[expected answer: " in out and "réponse attendue" not in out


def test_list_origins_names_every_set_in_english(capsys):
    from medfr_eval.core.sets import ALL_SETS

    assert main(["list", "--origins"]) == 0
    out = capsys.readouterr().out
    for s in ALL_SETS:
        assert f"\n{s.task}: " in out, s.task
    assert "traduit" not in out and "jeu de" not in out
