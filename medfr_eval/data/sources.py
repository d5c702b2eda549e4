"""Where each set comes from on the Hugging Face Hub: the one place for dataset ids.

Each entry says the set's origin (as the study describes it) and, where a copy
that ``datasets.load_dataset`` can read is known, its id, config, split and
how its columns map onto our schema (DEVELOPERS.md / README "Data").

At the time of writing the study's own test sets (its LLM translations of
MedQA, MedMCQA, PubMedQA, MMLU and K-QA, and the native FrBMedQA sample,
FrMedMCQA and FrClinicalQA/FrMedQA items) have no Hub copy under a name we
could verify, so their ``path`` is empty: the error then says how to provide
the files. A user who has them on the Hub (e.g. the authors' account) points
medfr at them with a sources file, without editing code::

    # my_sources.yaml
    medqa_4opt:
      path: my-org/medqa-fr          # dataset id (or a local dataset folder)
      name: 4_options                 # config, optional
      split: test
      columns: {question: question, options: [opa, opb, opc, opd], answer: cop}
      answer_format: index0           # letter | index0 | index1 | text

and ``--metadata '{"medfr_hub": "my_sources.yaml"}'`` (or ``MEDFR_HUB_SOURCES``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from medfr_eval.core.errors import DataError, refuse_unknown_keys
from medfr_eval.core.fileio import read_yaml

ANSWER_FORMATS = ("letter", "index0", "index1", "text")


@dataclass(frozen=True)
class HubSource:
    """How to load one set from the Hub and map its columns to our schema."""

    path: str | None = None
    name: str | None = None
    split: str = "test"
    # our field -> their column; "options" may map to a list of columns
    columns: dict[str, Any] = field(default_factory=dict)
    answer_format: str = "letter"
    origin: str = ""


_LLM = "translated into French by an LLM for the study"


def _mmlu(subject: str) -> HubSource:
    return HubSource(origin=f"MMLU (Hendrycks et al.), {subject}, test set {_LLM}.")


SOURCES: dict[str, HubSource] = {
    "medqa_4opt": HubSource(
        origin=f"MedQA (questions of the US medical licensing exam, USMLE), 4 options, test set {_LLM}."
    ),
    "medqa_5opt": HubSource(origin=f"MedQA, the five-option version, test set {_LLM}."),
    "medmcqa": HubSource(origin=f"MedMCQA (Indian medical entrance exams), validation set {_LLM}."),
    "pubmedqa": HubSource(origin=f"PubMedQA (PubMed abstracts and research questions), {_LLM}."),
    "mmlu_anatomy": _mmlu("anatomy"),
    "mmlu_clinical_knowledge": _mmlu("clinical knowledge"),
    "mmlu_college_biology": _mmlu("college biology"),
    "mmlu_college_medicine": _mmlu("college medicine"),
    "mmlu_professional_medicine": _mmlu("professional medicine"),
    "mmlu_medical_genetics": _mmlu("medical genetics"),
    "frbmedqa": HubSource(
        origin="FrBMedQA (Kaddari et al.): cloze sentences from French biomedical Wikipedia on eight UMLS groups, asked as MCQ; the study's test sample."
    ),
    "frmedmcqa": HubSource(
        origin="FrMedMCQA: multiple-answer MCQ from S-Editions, written in French."
    ),
    "kqa": HubSource(
        origin=f"K-QA: patients' questions and answers written by physicians, {_LLM}."
    ),
    "frclinicalqa": HubSource(
        origin="FrClinicalQA: French clinical cases followed by chained questions (the study's set)."
    ),
    "frmedqa": HubSource(
        origin="FrMedQA: general medical questions written in French (the study's set)."
    ),
}


def _read_sources_file(path: str | Path) -> dict[str, HubSource]:
    path = Path(path)
    if not path.is_file():
        raise DataError("sources file not found", file=path, field="medfr_hub")
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise DataError("expected a mapping of set name -> source", file=path)
    known = {f.name for f in fields(HubSource)}
    out: dict[str, HubSource] = {}
    for set_name, entry in raw.items():
        if set_name not in SOURCES:  # the study's sets; public extras load from public_sources
            raise DataError(
                f"unknown set; known: {', '.join(SOURCES)}", file=path, field=str(set_name)
            )
        if not isinstance(entry, dict):
            raise DataError("expected a mapping", file=path, field=str(set_name))
        refuse_unknown_keys(entry, known, file=path, prefix=str(set_name))
        fmt = entry.get("answer_format", "letter")
        if fmt not in ANSWER_FORMATS:
            raise DataError(
                f"must be one of {ANSWER_FORMATS}", file=path, field=f"{set_name}.answer_format"
            )
        out[set_name] = HubSource(**{**SOURCES[set_name].__dict__, **entry})
    return out


def get_source(set_name: str, sources_file: str | None = None) -> HubSource:
    """The Hub source of a set, with the user's sources file (if any) taking precedence."""
    sources_file = sources_file or os.environ.get("MEDFR_HUB_SOURCES") or None
    if sources_file:
        user = _read_sources_file(sources_file)
        if set_name in user:
            return user[set_name]
    return SOURCES[set_name]
