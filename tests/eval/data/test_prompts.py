"""Prompts follow the study's structure in our French wording; users can swap templates."""

from __future__ import annotations

import pytest

from medfr_eval.core.errors import DataError
from medfr_eval.core.sets import get_set
from medfr_eval.data.load import build_docs, load_set

MCQ = {
    "id": "q1",
    "question": "Quel organe sécrète l'insuline ?",
    "options": ["Le foie", "Le pancréas", "La rate", "Le rein"],
    "answer": "B",
}


def test_mcq_prompt_exact_text():
    (doc,) = build_docs(get_set("medqa_4opt"), [MCQ])
    assert doc["prompt"] == (
        "Ce qui suit est une question scientifique du domaine médical et 4 options de réponse. "
        "Une seule option est juste. Répondez uniquement par la lettre de la bonne réponse "
        "(A, B, C, D), sans aucune justification.\n\n"
        "Question : Quel organe sécrète l'insuline ?\n"
        "A : Le foie\nB : Le pancréas\nC : La rate\nD : Le rein\n"
        "Réponse :"
    )


def test_context_comes_before_question():
    rec = {
        "id": "p",
        "question": "Le traitement réduit-il la douleur ?",
        "context": "Essai fictif.",
        "options": ["oui", "non", "peut-être"],
        "answer": "A",
    }
    (doc,) = build_docs(get_set("pubmedqa"), [rec])
    p = doc["prompt"]
    assert "précédée d'un contexte" in p and "(A, B, C)" in p
    assert p.index("Contexte : Essai fictif.") < p.index("Question :") < p.index("A : oui")


def test_multi_answer_variant_asks_for_every_letter():
    rec = {"id": "m", "question": "q ?", "options": list("vwxyz"), "answers": ["A", "C"]}
    (doc,) = build_docs(get_set("frmedmcqa"), [rec])
    assert "Une ou plusieurs options sont justes" in doc["prompt"] and "« A C D »" in doc["prompt"]
    assert doc["choices"][doc["gold"]] == "A C" and len(doc["choices"]) == 31


def test_case_prompt_has_previous_questions_in_order():
    es = get_set("frclinicalqa")
    recs = [
        {
            "id": f"c{i}",
            "case_id": "k",
            "case": "Femme de 30 ans.",
            "position": i,
            "question": f"Question numéro {i} ?",
            "answer": f"réponse {i}",
        }
        for i in (3, 1, 2)
    ]
    docs = {d["id"]: d for d in build_docs(es, recs)}
    assert "Questions précédentes" not in docs["c1"]["prompt"]
    p3 = docs["c3"]["prompt"]
    assert "1. Question numéro 1 ?\n2. Question numéro 2 ?" in p3
    assert "réponse 1" not in p3 and p3.endswith("Question : Question numéro 3 ?\nRéponse :")
    assert [d["id"] for d in build_docs(es, recs)] == ["c3", "c1", "c2"]  # doc order kept


def test_user_template_swaps_in_without_code(tmp_path):
    (tmp_path / "openqa.j2").write_text("Q: {{ question }}\nA:", encoding="utf-8")
    ds = load_set("frmedqa", medfr_data="sample", medfr_prompts=str(tmp_path))["test"]
    assert ds[0]["prompt"].startswith("Q: ") and ds[0]["prompt"].endswith("\nA:")
    ds_mcq = load_set("medmcqa", medfr_data="sample", medfr_prompts=str(tmp_path))["test"]
    assert ds_mcq[0]["prompt"].startswith("Ce qui suit")  # others fall back to ours


def test_template_typo_fails_naming_the_template(tmp_path):
    (tmp_path / "openqa.j2").write_text("{{ questoin }}", encoding="utf-8")
    with pytest.raises(DataError, match="openqa.j2.*questoin"):
        load_set("frmedqa", medfr_data="sample", medfr_prompts=str(tmp_path))


def test_missing_prompt_folder(tmp_path):
    with pytest.raises(DataError, match="medfr_prompts"):
        load_set("frmedqa", medfr_data="sample", medfr_prompts=str(tmp_path / "nope"))


def test_user_template_runs_no_code(tmp_path):
    """User templates are rendered sandboxed: reaching Python internals is refused."""
    (tmp_path / "openqa.j2").write_text(
        "{{ question.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8"
    )
    with pytest.raises(DataError, match="openqa.j2: prompt template error"):
        load_set("frmedqa", medfr_data="sample", medfr_prompts=str(tmp_path))


def test_template_syntax_error_names_file_and_line(tmp_path):
    (tmp_path / "openqa.j2").write_text("Q: {{ question }}\n{% if %}\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_set("frmedqa", medfr_data="sample", medfr_prompts=str(tmp_path))
    assert err.value.line == 2 and str(err.value).startswith(f"{tmp_path / 'openqa.j2'}:2: ")
