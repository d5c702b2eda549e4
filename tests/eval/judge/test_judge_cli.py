"""``medfr judge agreement`` end to end on run folders laid out as lm-eval writes them."""

from __future__ import annotations

import json

import pytest
from judge_runs import IDENT, write_labels, write_run

from medfr_eval.cli import main, run
from medfr_eval.judge.cli import judge


def test_agreement_table_json_and_plot(tmp_path, capsys):
    a = write_run(tmp_path / "a", "org/model-a", [1, 1, 0, 0, None])
    b = write_run(tmp_path / "b", "model-b", [1, 0, 1, 0, 1])
    rows = [
        {"doc_id": f"kqa-{i:03d}", "model": "org/model-a", "human": h}
        for i, h in enumerate([1, 0, 0, 0, 1])
    ]
    rows += [
        {"doc_id": f"kqa-{i:03d}", "model": "B", "human": h} for i, h in enumerate([1, 1, 1, 0, 1])
    ]
    labels = write_labels(tmp_path / "labels.jsonl", rows)
    out = tmp_path / "report"
    status = run(
        judge, ["agreement", str(labels), str(a), f"B={b}", "--out", str(out), "--resamples", "200"]
    )
    text = capsys.readouterr().out
    assert status == 0, text
    report = json.loads((out / "agreement.json").read_text())
    assert report["judge"] == IDENT
    assert report["n_pairs"] == 9
    assert report["unparsable"] == [{"model": "org/model-a", "doc_id": "kqa-004", "line": 5}]
    groups = report["groups"]
    assert list(groups) == ["(all)", "org/model-a", "B"]
    # model-a: judge 1,1,0,0 vs human 1,0,0,0 -> 3/4; B: 1,0,1,0,1 vs 1,1,1,0,1 -> 4/5
    assert groups["org/model-a"]["accuracy"] == pytest.approx(0.75)
    assert groups["B"]["accuracy"] == pytest.approx(0.8)
    assert groups["(all)"]["accuracy"] == pytest.approx(7 / 9)
    assert groups["B"]["confusion"] == {"both": 3, "judge_only": 0, "human_only": 1, "neither": 1}
    assert (out / "agreement.png").stat().st_size > 1000
    assert "org/model-a" in text and "McNemar p" in text and "unparsable" in text
    assert (out / "agreement.txt").read_text().startswith("model")


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        (
            '{"doc_id": "kqa-000", "model": "m", "human": 2}',
            "labels.jsonl:2: human: expected 0 or 1",
        ),
        ('{"doc_id": "kqa-000", "human": 1}', "labels.jsonl:2: model:"),
        ("not json", "labels.jsonl:2: not valid JSON"),
        (
            '{"doc_id": "kqa-404", "model": "m", "human": 1}',
            "labels.jsonl:2: doc_id: no judged item",
        ),
        (
            '{"doc_id": "kqa-001", "model": "other", "human": 1}',
            "labels.jsonl:2: model: no run named",
        ),
        ('{"doc_id": "kqa-000", "model": "m", "human": 0}', "labels.jsonl:2: doc_id: duplicate"),
    ],
)
def test_a_bad_label_line_exits_2_naming_file_line_field(tmp_path, capsys, line, needle):
    a = write_run(tmp_path / "a", "m", [1, 0])
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"doc_id": "kqa-000", "model": "m", "human": 1}\n' + line + "\n")
    out = tmp_path / "report"
    assert main(["judge", "agreement", str(labels), str(a), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
    assert not out.exists()


def test_runs_judged_by_different_judges_are_refused(tmp_path, capsys):
    a = write_run(tmp_path / "a", "m1", [1])
    b = write_run(tmp_path / "b", "m2", [1], ident=IDENT | {"model": "autre"})
    labels = write_labels(
        tmp_path / "l.jsonl",
        [
            {"doc_id": "kqa-000", "model": "m1", "human": 1},
            {"doc_id": "kqa-000", "model": "m2", "human": 1},
        ],
    )
    assert run(judge, ["agreement", str(labels), str(a), str(b)]) == 2
    assert "different judges" in capsys.readouterr().err


def test_a_run_without_judged_samples_is_refused(tmp_path, capsys):
    unjudged = write_run(tmp_path / "unjudged", "m", [1, 0], ident=None)
    labels = write_labels(tmp_path / "l.jsonl", [{"doc_id": "kqa-000", "model": "m", "human": 1}])
    assert run(judge, ["agreement", str(labels), str(unjudged)]) == 2
    assert "no judged samples" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(judge, ["agreement", str(labels), str(empty)]) == 2
    assert "no lm-eval output" in capsys.readouterr().err


def test_help_shows_an_example(capsys):
    assert run(judge, ["agreement", "--help"]) == 0
    assert "Example: medfr judge agreement" in capsys.readouterr().out
