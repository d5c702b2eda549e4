"""Evaluation items are read in Unicode NFC: a decomposed accent gives the same prompt bytes."""

from __future__ import annotations

import json
import unicodedata

from medfr_eval.core.sets import get_set
from medfr_eval.core.textnorm import nfc
from medfr_eval.data.load import load_set
from medfr_eval.data.records import validate_record

WORD = "sécrète"  # composed (U+00E9, U+00E8) in this file


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_an_nfd_item_is_served_as_its_nfc_twin(tmp_path):
    nfc_item = {
        "id": "q-é1",
        "question": f"Quel organe {WORD} l'insuline ?",
        "options": ["Le foie", "Le pancréas", "La rate", "Le rein"],
        "answer": "B",
    }
    nfd_item = {
        "id": _nfd(nfc_item["id"]),
        "question": _nfd(nfc_item["question"]),
        "options": [_nfd(o) for o in nfc_item["options"]],
        "answer": "B",
    }
    assert nfd_item["question"] != nfc_item["question"] and nfd_item["id"] != nfc_item["id"]
    for name, item in (("nfc", nfc_item), ("nfd", nfd_item)):
        (tmp_path / name).mkdir()
        line = json.dumps(item, ensure_ascii=False) + "\n"
        (tmp_path / name / "medqa_4opt.jsonl").write_text(line, encoding="utf-8")
    served = {
        name: load_set("medqa_4opt", str(tmp_path / name))["test"][0] for name in ("nfc", "nfd")
    }
    assert served["nfd"]["prompt"].encode() == served["nfc"]["prompt"].encode()
    assert served["nfd"]["id"] == nfc_item["id"] and served["nfd"]["options"] == nfc_item["options"]
    assert WORD in served["nfd"]["prompt"]


def test_every_field_of_a_case_record_is_normalised():
    rec = {
        "id": "c1-1",
        "case_id": _nfd("cas-é"),
        "case": _nfd("Patiente âgée, fébrile."),
        "position": 1,
        "question": _nfd("Quel diagnostic évoquer ?"),
        "answer": _nfd("Une pyélonéphrite."),
    }
    out = validate_record(get_set("frclinicalqa"), rec)
    for key in ("case_id", "case", "question", "answer"):
        assert unicodedata.is_normalized("NFC", out[key]), key
    assert out["position"] == 1


def test_nfc_keeps_shapes_and_types():
    value = {_nfd("clé"): [_nfd("é"), 1, None, True, (_nfd("è"),)], "n": 2.5}
    assert nfc(value) == {"clé": ["é", 1, None, True, ("è",)], "n": 2.5}
    text = "déjà NFC"
    assert nfc(text) is text
