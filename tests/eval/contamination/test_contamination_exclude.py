"""The clean subset: ``--metadata '{"medfr_exclude": "contaminated.json"}'`` in lm-eval runs."""

from __future__ import annotations

import json

import pytest

from medfr_eval.contamination.exclude import exclude_records
from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import get_set
from medfr_eval.data.load import load_records, load_set


def write_report(path, sets: dict[str, list[str]]) -> str:
    report = {
        "medfr_contamination_version": 1,
        "n": 13,
        "sets": {k: {"ids": v} for k, v in sets.items()},
    }
    path.write_text(json.dumps(report), encoding="utf-8")
    return str(path)


def test_load_set_leaves_out_the_listed_items(tmp_path):
    records = load_records("medqa_4opt", "sample")
    drop = [records[0]["id"], records[2]["id"]]
    report = write_report(tmp_path / "contaminated.json", {"medqa_4opt": drop, "kqa": []})
    full = load_set("medqa_4opt", medfr_data="sample")["test"]
    clean = load_set("medqa_4opt", medfr_data="sample", medfr_exclude=report)["test"]
    assert len(clean) == len(full) - 2
    assert set(full["id"]) - set(clean["id"]) == set(drop)
    # a set the report does not list is unchanged
    assert len(load_set("kqa", medfr_data="sample", medfr_exclude=report)["test"]) == len(
        load_records("kqa", "sample")
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found (medfr_exclude)"),
        ("{not json", "not valid JSON"),
        ('{"sets": {}}', "medfr_contamination_version: not a contamination report"),
        (
            '{"medfr_contamination_version": 1, "sets": {"kqa": {"ids": [1]}}}',
            "sets.kqa.ids: expected a list of ids",
        ),
        (
            '{"medfr_contamination_version": 1, "sets": {"kqa": {"ids": ["nope"]}}}',
            "the report was made on other data",
        ),
    ],
)
def test_bad_report_is_one_clear_error(tmp_path, content, message):
    path = tmp_path / "c.json"
    if content is not None:
        path.write_text(content)
    es = get_set("kqa")
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        exclude_records(es, load_records("kqa", "sample"), path)
    assert info.value.file == str(path)


def test_excluding_every_item_is_refused(tmp_path):
    ids = [r["id"] for r in load_records("frmedqa", "sample")]
    report = write_report(tmp_path / "c.json", {"frmedqa": ids})
    with pytest.raises(DataError, match="no clean subset"):
        load_set("frmedqa", medfr_data="sample", medfr_exclude=report)


def test_lm_eval_run_scores_the_clean_subset_and_records_it(tmp_path, tiny_model_dir):
    """Through lm-eval as its CLI does it: ``--metadata`` to the TaskManager and simple_evaluate."""
    import lm_eval

    import medfr_eval

    records = load_records("medqa_4opt", "sample")
    report = write_report(tmp_path / "contaminated.json", {"medqa_4opt": [records[1]["id"]]})
    metadata = {"medfr_data": "sample", "medfr_exclude": report}
    results = lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={tiny_model_dir},dtype=float32",
        tasks=["medfr_medqa_4opt"],
        task_manager=medfr_eval.task_manager(include_defaults=False, metadata=metadata),
        metadata=metadata,
        log_samples=True,
        device="cpu",
        batch_size=16,
    )
    assert results["n-samples"]["medfr_medqa_4opt"]["effective"] == len(records) - 1
    scored = {s["doc"]["id"] for s in results["samples"]["medfr_medqa_4opt"]}
    assert records[1]["id"] not in scored and len(scored) == len(records) - 1
    # the run's config says which report was excluded
    assert results["configs"]["medfr_medqa_4opt"]["metadata"]["medfr_exclude"] == report
