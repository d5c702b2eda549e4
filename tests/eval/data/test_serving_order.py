"""Every set is served in the order of the SHA-256 of its item ids, not in its file's order.

So ``--limit N`` (lm-eval's first N docs) does not inherit a source's grouping;
the served order is the same for any subset, for the English twins, and keeps
FrClinicalQA's chained prompts built from each case's earlier positions.
"""

from __future__ import annotations

import hashlib
import json

from medfr_eval.data.load import load_records, load_set, serving_key

OPTIONS = ["option a", "option b", "option c", "option d", "option e"]


def _task(name: str, metadata: dict):
    import lm_eval.tasks

    import medfr_eval

    tm = medfr_eval.task_manager(include_defaults=False, metadata=metadata)
    return lm_eval.tasks.get_task_dict([name], tm)[name]


def _write(path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def test_limit_sees_both_kinds_of_a_file_grouped_by_answer_count(tmp_path):
    """A FrenchMedMCQA-like test file: all single-answer items first, then the multi-answer ones."""
    single = [
        {"id": f"fm-{i:03d}", "question": f"Question {i} ?", "options": OPTIONS, "answers": ["B"]}
        for i in range(40)
    ]
    multi = [
        {
            "id": f"fm-{i:03d}",
            "question": f"Question {i} ?",
            "options": OPTIONS,
            "answers": ["A", "C"],
        }
        for i in range(40, 80)
    ]
    _write(tmp_path / "frenchmedmcqa.jsonl", single + multi)
    task = _task("medfr_frenchmedmcqa", {"medfr_data": str(tmp_path)})
    first = [doc for _, doc in task.doc_iterator(limit=10)]  # what lm-eval's --limit 10 scores
    counts = {len(doc["answers"]) for doc in first}
    assert counts == {1, 2}, "the first 10 served items mix single- and multi-answer items"
    ids = [doc["id"] for doc in task.test_docs()]
    assert ids == sorted(ids, key=lambda i: hashlib.sha256(i.encode("utf-8")).hexdigest())
    # lm-eval's doc_id (in the sample logs) is the position in that order
    assert [(i, doc["id"]) for i, doc in task.doc_iterator()] == list(enumerate(ids))


def test_order_is_the_hash_of_the_id_whatever_the_file_order(tmp_path):
    rows = [
        {"id": f"q{i}", "question": f"Q{i} ?", "options": OPTIONS[:4], "answer": "A"}
        for i in range(12)
    ]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _write(tmp_path / "a" / "medqa_4opt.jsonl", rows)
    _write(tmp_path / "b" / "medqa_4opt.jsonl", rows[::-1])
    served_a = load_set("medqa_4opt", str(tmp_path / "a"))["test"]["id"]
    served_b = load_set("medqa_4opt", str(tmp_path / "b"))["test"]["id"]
    assert served_a == served_b == sorted(served_a, key=serving_key)
    assert served_a != [r["id"] for r in rows]
    assert serving_key("q1") == hashlib.sha256(b"q1").hexdigest()


def test_english_twin_is_served_in_its_french_sets_order():
    french = list(load_set("medqa_4opt", "sample")["test"]["id"])
    english = list(load_set("en_medqa_4opt", "sample")["test"]["id"])
    assert english and set(english) <= set(french)  # the English sample holds fewer items
    assert english == [i for i in french if i in set(english)]


def test_chained_questions_keep_the_earlier_positions_of_their_case(tmp_path):
    rows = []
    for case in ("c1", "c2"):
        for pos in range(1, 5):
            rows.append(
                {
                    "id": f"{case}-q{pos}",
                    "case_id": case,
                    "case": f"Cas clinique {case}.",
                    "position": pos,
                    "question": f"Question {pos} du cas {case} ?",
                    "answer": f"Réponse {pos}.",
                }
            )
    _write(tmp_path / "frclinicalqa.jsonl", rows)
    docs = load_set("frclinicalqa", str(tmp_path))["test"]
    served = [(d["case_id"], d["position"]) for d in docs]
    assert served != [(r["case_id"], r["position"]) for r in rows], "not the file's order"
    by_case: dict[str, list[int]] = {}
    for case, pos in served:
        by_case.setdefault(case, []).append(pos)
    assert any(p != sorted(p) for p in by_case.values()), "a later position is served first"
    for doc in docs:
        earlier = [f"Question {p} du cas {doc['case_id']} ?" for p in range(1, doc["position"])]
        assert doc["previous_questions"] == earlier
        for question in earlier:
            assert question in doc["prompt"]
        later = f"Question {doc['position'] + 1} du cas {doc['case_id']} ?"
        assert later not in doc["prompt"]


def test_records_keep_their_file_order_outside_lm_eval():
    """``load_records`` (the contamination check, ``medfr data show``) reads the file as it is."""
    ids = [r["id"] for r in load_records("frclinicalqa", "sample")]
    assert ids == sorted(ids)  # the sample file is written in id order
    assert load_set("frclinicalqa", "sample")["test"]["id"] != ids
