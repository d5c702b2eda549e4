"""Which training document a contaminated item names: the earliest one (file order,
then line) holding any of its n-grams, whatever the order of the n-grams' hashes."""

from __future__ import annotations

import numpy as np

from medfr_eval.contamination.check import EvalIndex, report, scan_files
from medfr_eval.contamination.evalitems import EvalItem

HEAD = "un deux trois quatre cinq six sept huit neuf dix onze douze treize"
TAIL = "alpha bêta gamma delta epsilon zêta êta thêta iota kappa lambda mu nu"


def _gram_index(idx: EvalIndex, text: str) -> int:
    """The index (in hash order) of the one item n-gram that ``text`` holds."""
    probe = EvalIndex.build(idx.items, idx.n)
    probe.scan_batch([text], str)
    (g,) = np.flatnonzero(probe.seen)
    return int(g)


def test_item_names_its_earliest_document_not_its_first_hash(tmp_path):
    idx = EvalIndex.build([EvalItem("s", "q1", (f"{HEAD} {TAIL}",))], 13)
    # Each planted text holds exactly one of the item's 13-grams; the one whose
    # hash sorts last goes into the earlier document.
    first, later = sorted((HEAD, TAIL), key=lambda t: _gram_index(idx, t), reverse=True)
    assert _gram_index(idx, first) > _gram_index(idx, later)
    a = tmp_path / "a.txt"
    a.write_text(f"rien\n\n{first}\n\nrien encore\n\n{later} {first}\n", encoding="utf-8")
    b = tmp_path / "b.txt"
    b.write_text(f"{later}\n", encoding="utf-8")
    rep = report(idx, scan_files(idx, [b, a]), data="x")
    assert rep["sets"]["s"]["evidence"] == {"q1": f"{b}:1"}  # file order first
    idx2 = EvalIndex.build([EvalItem("s", "q1", (f"{HEAD} {TAIL}",))], 13)
    rep = report(idx2, scan_files(idx2, [a, b]), data="x")
    assert rep["sets"]["s"]["evidence"] == {"q1": f"{a}:3"}  # then line


def test_earliest_document_within_one_batch(tmp_path):
    idx = EvalIndex.build([EvalItem("s", "q1", (f"{HEAD} {TAIL}",))], 13)
    docs = ["rien", f"{TAIL} et {HEAD}", HEAD, TAIL]
    idx.scan_batch(docs, lambda i: f"doc{i}")
    grams = np.flatnonzero(idx.seen)
    assert len(grams) == 2 and {idx.evidence[int(g)] for g in grams} == {"doc1"}
    assert idx.first_evidence(grams) == "doc1"
