"""The n-gram core: normalisation, exact matching, document attribution, collisions."""

from __future__ import annotations

import random

import numpy as np
import pytest

from medfr_eval.contamination import ngrams
from medfr_eval.contamination.check import EvalIndex, check_n
from medfr_eval.contamination.evalitems import EvalItem
from medfr_eval.core.errors import DataError

TEXT = (
    "Le patient présente une douleur thoracique constrictive irradiant dans le bras gauche "
    "depuis une heure et demie, avec des sueurs profuses et une pâleur marquée"
)


def plain_overlap(items: list[EvalItem], docs: list[str], n: int) -> set[str]:
    """Reference: sets of word tuples, per segment and per document."""
    grams: dict[tuple[bytes, ...], set[str]] = {}
    for item in items:
        for seg in item.segments:
            w = ngrams.words(seg)
            for k in range(len(w) - n + 1):
                grams.setdefault(tuple(w[k : k + n]), set()).add(item.id)
    hit: set[str] = set()
    for doc in docs:
        w = ngrams.words(doc)
        for k in range(len(w) - n + 1):
            hit |= grams.get(tuple(w[k : k + n]), set())
    return hit


def found_ids(idx: EvalIndex) -> set[str]:
    return {
        item.id
        for i, item in enumerate(idx.items)
        if idx.seen[idx.item_grams[idx.item_ptr[i] : idx.item_ptr[i + 1]]].any()
    }


def test_normalisation_folds_case_and_punctuation_keeps_accents():
    assert ngrams.words("L\u2019Hôpital, «\u00a0Côlon\u00a0»... (État)") == [
        b"l",
        "hôpital".encode(),
        "côlon".encode(),
        "état".encode(),
    ]
    assert ngrams.words("côlon") != ngrams.words("colon")
    # NFD input (e + combining accent) is the same word as NFC
    assert ngrams.words("e\u0301tat") == ngrams.words("état")


def test_match_survives_case_and_punctuation_changes():
    idx = EvalIndex.build([EvalItem("s", "q1", (TEXT,))], 13)
    doc = "Intro. " + TEXT.upper().replace(",", " ;") + " fin."
    docs, _ = idx.scan_batch(["rien à voir ici du tout", doc], lambda i: f"doc{i}")
    assert docs.tolist() == [1]
    assert set(idx.evidence.values()) == {"doc1"}


def test_twelve_shared_words_are_not_a_13_gram():
    w = TEXT.split()
    idx = EvalIndex.build([EvalItem("s", "q1", (TEXT,))], 13)
    docs, _ = idx.scan_batch([" ".join(w[:12]) + " autre " + " ".join(w[12:24])], str)
    assert len(docs) == 0 and not idx.seen.any()


def test_ngrams_never_span_documents_or_segments():
    w = TEXT.split()[:20]
    half = 10
    first, second = " ".join(w[:half]), " ".join(w[half:])
    idx = EvalIndex.build([EvalItem("s", "q1", (" ".join(w),))], 13)
    # the item's text cut in two consecutive documents: no 13-gram crosses the cut
    docs, _ = idx.scan_batch([first, second], str)
    assert len(docs) == 0
    # an item whose two segments are only joined in training text: no match either
    idx2 = EvalIndex.build([EvalItem("s", "q2", (first, second))], 13)
    docs, _ = idx2.scan_batch(["x " + " ".join(w[half - 6 : half + 7]) + " y"], str)
    assert len(docs) == 0


def test_agrees_with_plain_sets_of_tuples_on_random_text():
    rng = random.Random(3)
    vocab = [f"mot{i}" for i in range(40)]
    items = [
        EvalItem(
            "s",
            f"q{i}",
            tuple(" ".join(rng.choices(vocab, k=rng.randint(3, 30))) for _ in range(2)),
        )
        for i in range(60)
    ]
    docs = [" ".join(rng.choices(vocab, k=rng.randint(0, 80))) for _ in range(200)]
    # plant pieces of some items so that there are hits to find
    for i in range(0, 60, 7):
        docs[i] += " " + items[i].segments[0]
    for n in (5, 6, 13):
        idx = EvalIndex.build(items, n)
        idx.scan_batch(docs, str)
        assert found_ids(idx) == plain_overlap(items, docs, n), n


def test_hash_collisions_are_told_apart(monkeypatch):
    """With a degenerate hash (every n-gram collides), matches stay exact."""
    monkeypatch.setattr(
        ngrams, "rolling_hashes", lambda ids, n: np.zeros(max(len(ids) - n + 1, 0), np.uint64)
    )
    items = [
        EvalItem("s", "a", ("un deux trois quatre cinq six",)),
        EvalItem("s", "b", ("sept huit neuf dix onze douze",)),
    ]
    idx = EvalIndex.build(items, 5)
    assert len(idx.index.hashes) == 4  # 2 + 2 distinct n-grams, one shared hash
    docs, _ = idx.scan_batch(["zéro sept huit neuf dix onze", "un deux trois quatre zéro"], str)
    assert docs.tolist() == [0]
    assert found_ids(idx) == {"b"}


def test_separator_characters_inside_text_do_not_shift_documents():
    idx = EvalIndex.build([EvalItem("s", "q1", (TEXT,))], 13)
    docs, _ = idx.scan_batch(["a\x00b\x01c", "x", TEXT], str)
    assert docs.tolist() == [2]


@pytest.mark.parametrize("bad", [4, 0, -13])
def test_n_below_5_is_refused(bad):
    with pytest.raises(DataError, match="n-gram size must be an integer >= 5"):
        check_n(bad)
