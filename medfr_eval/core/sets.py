"""The evaluation sets (the study's 15, then public extras): one table that every part of medfr reads.

Task names are public interface (``medfr_<set>``). The table says, per set,
its family (as the study groups them in its tables), its kind of item, the
number of options, the test size in the study, the metric that the study
reports and where the data comes from. It is pure Python on purpose: the
significance tool and the leaderboard builder read it without importing
lm-eval or torch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, NamedTuple

Family = Literal["mcq_translated", "mcq_native", "openqa", "mcq_english", "public_native"]
Kind = Literal["mcq", "mcq_multi", "openqa", "openqa_case"]

#: The study's three families: its tables, win rates, the board's overall score.
#: Display names in English: the interface is English, data and prompts French (README).
#: The one table of family names: ``medfr signif``, the board, ``medfr data list`` and
#: the demo read it, and lm-eval's ``group_alias`` values say the same words.
FAMILIES: dict[str, str] = {
    "mcq_translated": "Translated MCQ",
    "mcq_native": "Native MCQ",
    "openqa": "Open QA",
}
#: Families beyond the study (public data only, see EXTRA_SETS). Kept apart so
#: that every "all families" average stays the study's.
EXTRA_FAMILIES: dict[str, str] = {
    "mcq_english": "English MCQ (twins of the translated MCQ)",
    "public_native": "Public native French sets",
}
ALL_FAMILIES: dict[str, str] = {**FAMILIES, **EXTRA_FAMILIES}

#: The option letters, in order: a set of n options uses the first n. Every part of
#: medfr (loader, parser, permutations, constrained decoding, results) reads this one.
LETTERS = "ABCDE"

# lm-eval result keys are "<metric>,<filter>"; these are ours.
MCQ_FILTER = "none"
OPENQA_FILTER = "bertscore"


@dataclass(frozen=True, kw_only=True)
class EvalSet:
    """One evaluation set: every fact medfr knows of it, named (keywords only, so a table
    row says what each value is)."""

    name: str  # set id; the lm-eval task is f"medfr_{name}"
    title: str  # display name
    family: Family
    kind: Kind
    n_options: int  # 0 for open QA
    # test size in the study (the paper's Table 6); for the public extras, the size the source
    # states (the English twins: their French set's); 0 means unknown (no size check, and
    # "unknown" where a size is shown)
    study_size: int
    has_context: bool
    description: str  # what it measures, in French, for people
    # Public copy this set is converted from (a key of medfr_eval.data.public_sources.SOURCES),
    # or None when the data must be requested from the study's authors.
    public_source: str | None = None
    lang: str = "fr"  # language of the items (and of the prompt template)
    twin_of: str | None = None  # English twin: name of the French set with the same items
    context_optional: bool = False  # context (e.g. MediQAl's clinical case) may be empty
    in_study: bool = True  # one of the study's 15 sets
    # the context is a clinical case: the prompts call it "Cas clinique", not "Contexte"
    clinical_case: bool = False
    # string fields of a record kept in every doc besides the schema's (e.g. MediQAl's
    # question_type, by which its scores are split); "" where a record has none
    extra_fields: tuple[str, ...] = ()

    @property
    def task(self) -> str:
        return f"medfr_{self.name}"

    @property
    def metric(self) -> str:
        """The study's headline metric for this set, as named in our sample logs."""
        return {"mcq": "acc", "mcq_multi": "emr"}.get(self.kind, "bertscore_f1")

    @property
    def filter(self) -> str:
        return MCQ_FILTER if self.kind.startswith("mcq") else OPENQA_FILTER

    @property
    def result_key(self) -> str:
        """Key of the headline metric in lm-eval's ``results`` dict."""
        return f"{self.metric},{self.filter}"

    @property
    def letters(self) -> tuple[str, ...]:
        return tuple(LETTERS[: self.n_options])


# BioMistral's public French translation of the 10 translated sets (docs/data.md)
BIOINSTRUCTQA = "bioinstructqa"


def _mmlu(subject: str, title: str, size: int, what: str) -> EvalSet:
    return EvalSet(
        name=f"mmlu_{subject}",
        title=f"MMLU {title}",
        family="mcq_translated",
        kind="mcq",
        n_options=4,
        study_size=size,
        has_context=False,
        description=f"QCM de MMLU ({what}), traduits de l'anglais.",
        public_source=BIOINSTRUCTQA,
    )


SETS: tuple[EvalSet, ...] = (
    EvalSet(
        name="medqa_4opt",
        title="MedQA (4 options)",
        family="mcq_translated",
        kind="mcq",
        n_options=4,
        study_size=1273,
        has_context=False,
        description="Questions d'examen de médecine américain (USMLE), traduites, quatre options.",
        public_source=BIOINSTRUCTQA,
    ),
    EvalSet(
        name="medqa_5opt",
        title="MedQA (5 options)",
        family="mcq_translated",
        kind="mcq",
        n_options=5,
        study_size=1273,
        has_context=False,
        description="Les mêmes questions USMLE traduites, avec cinq options.",
        public_source=BIOINSTRUCTQA,
    ),
    EvalSet(
        name="medmcqa",
        title="MedMCQA",
        family="mcq_translated",
        kind="mcq",
        n_options=4,
        study_size=4183,
        has_context=False,
        description="QCM d'examens d'entrée en médecine indiens, traduits.",
        public_source=BIOINSTRUCTQA,
    ),
    EvalSet(
        name="pubmedqa",
        title="PubMedQA",
        family="mcq_translated",
        kind="mcq",
        n_options=3,
        study_size=500,
        has_context=True,
        description="Questions de recherche biomédicale avec un résumé d'article ; réponse oui, non ou peut-être.",
        public_source=BIOINSTRUCTQA,
        # BioMistral's loader serves a record whose abstract is missing without one; so
        # does medfr (the fetch counts them in MANIFEST.json)
        context_optional=True,
    ),
    _mmlu("anatomy", "Anatomie", 135, "anatomie"),
    _mmlu("clinical_knowledge", "Connaissances cliniques", 265, "connaissances cliniques"),
    _mmlu("college_biology", "Biologie universitaire", 144, "biologie de niveau universitaire"),
    _mmlu("college_medicine", "Médecine universitaire", 173, "médecine de niveau universitaire"),
    _mmlu("professional_medicine", "Médecine professionnelle", 272, "médecine professionnelle"),
    _mmlu("medical_genetics", "Génétique médicale", 100, "génétique médicale"),
    EvalSet(
        name="frbmedqa",
        title="FrBMedQA",
        family="mcq_native",
        kind="mcq",
        n_options=4,
        study_size=2156,
        has_context=False,
        description="Questions à trous tirées de Wikipédia biomédical en français, sur huit groupes sémantiques UMLS, posées en QCM.",
    ),
    EvalSet(
        name="frmedmcqa",
        title="FrMedMCQA",
        family="mcq_native",
        kind="mcq_multi",
        n_options=5,
        study_size=183,
        has_context=False,
        description="QCM natifs (S-Editions) où une ou plusieurs réponses sont justes ; score : réponse exacte (EMR) et score de Hamming.",
    ),
    EvalSet(
        name="kqa",
        title="K-QA",
        family="openqa",
        kind="openqa",
        n_options=0,
        study_size=201,
        has_context=False,
        description="Questions de patients avec réponses de médecins, traduites ; score BERTScore F1.",
    ),
    EvalSet(
        name="frclinicalqa",
        title="FrClinicalQA",
        family="openqa",
        kind="openqa_case",
        n_options=0,
        study_size=262,
        has_context=True,
        description="Questions enchaînées sur un même cas clinique ; chaque question voit le cas et les questions précédentes.",
    ),
    EvalSet(
        name="frmedqa",
        title="FrMedQA",
        family="openqa",
        kind="openqa",
        n_options=0,
        study_size=81,
        has_context=False,
        description="Questions médicales générales en français ; score BERTScore F1.",
    ),
)

# ------------------------------------------------------------------ beyond the study
# Public sets that are not among the study's 15: the English originals of the
# 10 translated sets (same items, same ids: the translation gap can be paired
# item by item), FrenchMedMCQA and MediQAl. ``study_size`` holds the expected
# test size where the source states it (0: unknown; no size check). MediQAl's are
# the test splits of its dataset card (``dataset_info``, at the pinned commit):
# 4,343 + 2,561 + 10,113 = 17,017 MCQU and 3,384 + 1,466 + 5,767 = 10,617 MCQM
# questions in all, as its paper counts them; OEQ has a test split only (4,969).

FRENCHMEDMCQA = "frenchmedmcqa"
MEDIQAL = "mediqal"
#: MediQAl's labels kept in each doc: its authors report every score per question_type
#: (Understanding / Reasoning); medical_subject is one of its 41 subjects.
MEDIQAL_FIELDS = ("question_type", "medical_subject")
#: the values of question_type, as MediQAl's card spells them
QUESTION_TYPES = ("Understanding", "Reasoning")


def _mediqal(
    config: str, *, title: str, kind: Kind, n_options: int, size: int, what: str
) -> EvalSet:
    """One MediQAl config: every one has an optional clinical case and MediQAl's labels."""
    return EvalSet(
        name=f"mediqal_{config}",
        title=f"MediQAl {title}",
        family="public_native",
        kind=kind,
        n_options=n_options,
        study_size=size,
        has_context=True,
        description=what,
        public_source=MEDIQAL,
        context_optional=True,
        in_study=False,
        clinical_case=True,
        extra_fields=MEDIQAL_FIELDS,
    )


def _english_twin(fr: EvalSet) -> EvalSet:
    return replace(
        fr,
        name=f"en_{fr.name}",
        title=f"{fr.title} (English)",
        family="mcq_english",
        description=f"Les mêmes items que {fr.title}, dans leur anglais d'origine.",
        lang="en",
        twin_of=fr.name,
        in_study=False,
    )


ENGLISH_TWINS: tuple[EvalSet, ...] = tuple(
    _english_twin(s) for s in SETS if s.public_source == BIOINSTRUCTQA
)

PUBLIC_NATIVE: tuple[EvalSet, ...] = (
    EvalSet(
        name="frenchmedmcqa",
        title="FrenchMedMCQA",
        family="public_native",
        kind="mcq_multi",
        n_options=5,
        study_size=622,
        has_context=False,
        description="QCM d'examens de pharmacie français, une ou plusieurs réponses justes ; score : EMR et Hamming.",
        public_source=FRENCHMEDMCQA,
        in_study=False,
    ),
    _mediqal(
        "mcqu",
        title="MCQU",
        kind="mcq",
        n_options=5,
        size=4343,
        what="QCM d'examens de médecine français à réponse unique, parfois précédés d'un cas clinique.",
    ),
    _mediqal(
        "mcqm",
        title="MCQM",
        kind="mcq_multi",
        n_options=5,
        size=3384,
        what="QCM d'examens de médecine français à réponses multiples, parfois précédés d'un cas clinique.",
    ),
    _mediqal(
        "oeq",
        title="OEQ",
        kind="openqa",
        n_options=0,
        size=4969,
        what="Questions ouvertes à réponse courte d'examens de médecine français ; score BERTScore F1.",
    ),
)

EXTRA_SETS: tuple[EvalSet, ...] = ENGLISH_TWINS + PUBLIC_NATIVE
ALL_SETS: tuple[EvalSet, ...] = SETS + EXTRA_SETS
PUBLIC_SETS: tuple[EvalSet, ...] = tuple(s for s in ALL_SETS if s.public_source)

BY_NAME: dict[str, EvalSet] = {s.name: s for s in ALL_SETS}
BY_TASK: dict[str, EvalSet] = {s.task: s for s in ALL_SETS}

# Groups as lm-eval sees them (tasks/_medfr_*.yaml, tasks/*/_medfr_*.yaml): name -> member tasks.
# ``medfr_all`` stays the study's 15 sets; the public extras have their own groups.
GROUPS: dict[str, tuple[str, ...]] = {
    "medfr_mmlu": tuple(s.task for s in SETS if s.name.startswith("mmlu_")),
    "medfr_mcq_translated": tuple(s.task for s in SETS if s.family == "mcq_translated"),
    "medfr_mcq_native": tuple(s.task for s in SETS if s.family == "mcq_native"),
    "medfr_openqa": tuple(s.task for s in SETS if s.family == "openqa"),
    "medfr_all": tuple(s.task for s in SETS),
    "medfr_en": tuple(s.task for s in ENGLISH_TWINS),
    "medfr_mediqal": tuple(s.task for s in PUBLIC_NATIVE if s.public_source == MEDIQAL),
    "medfr_public": tuple(s.task for s in PUBLIC_SETS),
}


def get_set(name_or_task: str) -> EvalSet:
    """Look a set up by set name (``medqa_4opt``) or task name (``medfr_medqa_4opt``)."""
    found = BY_NAME.get(name_or_task) or BY_TASK.get(name_or_task)
    if found is None:
        known = ", ".join(s.name for s in ALL_SETS)
        raise KeyError(f"unknown medfr set {name_or_task!r}; known sets: {known}")
    return found


def twin_pairs() -> dict[str, str]:
    """French task -> its English twin task (same items, same ids), for paired comparisons."""
    return {BY_NAME[s.twin_of].task: s.task for s in ENGLISH_TWINS if s.twin_of}


# ------------------------------------------------------------------ English display names
# What people read about a set, in English (the interface language): the one table
# that ``medfr signif``'s reports and the board's pages both read, so that a set or a
# family is named alike everywhere. ``EvalSet.title`` and ``description`` stay French
# for the task files; a test checks that every set of ALL_SETS has its line here.


class SetLabel(NamedTuple):
    """A set's English title and what it measures, in one sentence."""

    title: str
    description: str


SET_LABELS: dict[str, SetLabel] = {
    name: SetLabel(title, what)
    for name, (title, what) in {
        "medqa_4opt": ("MedQA (4 options)", "US medical licensing exam (USMLE) questions, translated, four options."),
        "medqa_5opt": ("MedQA (5 options)", "The same translated USMLE questions with five options."),
        "medmcqa": ("MedMCQA", "Indian medical entrance exam MCQs, translated."),
        "pubmedqa": ("PubMedQA", "Biomedical research questions with an article abstract; answer yes, no or maybe."),
        "mmlu_anatomy": ("MMLU Anatomy", "MMLU multiple-choice questions on anatomy, translated from English."),
        "mmlu_clinical_knowledge": ("MMLU Clinical knowledge", "MMLU questions on clinical knowledge, translated from English."),
        "mmlu_college_biology": ("MMLU College biology", "MMLU questions on college-level biology, translated from English."),
        "mmlu_college_medicine": ("MMLU College medicine", "MMLU questions on college-level medicine, translated from English."),
        "mmlu_professional_medicine": ("MMLU Professional medicine", "MMLU questions on professional medicine, translated from English."),
        "mmlu_medical_genetics": ("MMLU Medical genetics", "MMLU questions on medical genetics, translated from English."),
        "frbmedqa": ("FrBMedQA", "Cloze questions from French biomedical Wikipedia over eight UMLS semantic groups, asked as MCQs."),
        "frmedmcqa": ("FrMedMCQA", "Native French MCQs (S-Editions) with one or more right answers; scored by exact match (EMR)."),
        "kqa": ("K-QA", "Patient questions with physicians' answers, translated; scored by BERTScore F1."),
        "frclinicalqa": ("FrClinicalQA", "Chained questions on one clinical case; each question sees the case and the earlier questions."),
        "frmedqa": ("FrMedQA", "General medical questions in French; scored by BERTScore F1."),
        # public sets beyond the study
        "en_medqa_4opt": ("MedQA (4 options), English", "The English originals of the translated MedQA items, four options."),
        "en_medqa_5opt": ("MedQA (5 options), English", "The English originals of the translated MedQA items, five options."),
        "en_medmcqa": ("MedMCQA, English", "The English originals of the translated MedMCQA items."),
        "en_pubmedqa": ("PubMedQA, English", "The English originals of the translated PubMedQA items."),
        "en_mmlu_anatomy": ("MMLU Anatomy, English", "The English originals of the translated MMLU anatomy items."),
        "en_mmlu_clinical_knowledge": ("MMLU Clinical knowledge, English", "The English originals of the translated MMLU clinical knowledge items."),
        "en_mmlu_college_biology": ("MMLU College biology, English", "The English originals of the translated MMLU college biology items."),
        "en_mmlu_college_medicine": ("MMLU College medicine, English", "The English originals of the translated MMLU college medicine items."),
        "en_mmlu_professional_medicine": ("MMLU Professional medicine, English", "The English originals of the translated MMLU professional medicine items."),
        "en_mmlu_medical_genetics": ("MMLU Medical genetics, English", "The English originals of the translated MMLU medical genetics items."),
        "frenchmedmcqa": ("FrenchMedMCQA", "French pharmacy exam MCQs with one or more right answers; scored by exact match (EMR)."),
        "mediqal_mcqu": ("MediQAl MCQU", "French medical exam MCQs with one right answer, 41 subjects."),
        "mediqal_mcqm": ("MediQAl MCQM", "French medical exam MCQs with several right answers; scored by exact match (EMR)."),
        "mediqal_oeq": ("MediQAl OEQ", "French medical exam open questions with a short reference answer; scored by BERTScore F1."),
    }.items()
}  # fmt: skip

#: What the "all" row of win rates and family means covers: the study's sets only.
ALL_FAMILY_LABEL = "All study sets"


def set_label(name_or_task: str) -> SetLabel:
    """The English title and description of a set, by set or task name."""
    return SET_LABELS[get_set(name_or_task).name]


def family_label(key: str) -> str:
    """The English name of a family key, ``all`` (the study's sets) included."""
    return ALL_FAMILY_LABEL if key == "all" else ALL_FAMILIES.get(key, key)
