"""Every word the site shows that is not data: English interface, French data and prompts.

Decision: the site's interface is in English, like the README and every ``--help``
(one language for the interface, not three); the items, prompts and model outputs
stay French, as the study's data is. ``medfr_eval.core.sets`` keeps French titles and
descriptions for the task files; the site reads the English ones from
``medfr_eval.core.sets.SET_LABELS``, keyed by set name, as ``medfr signif`` does.
"""

from __future__ import annotations

from medfr_eval.core import sets, strategies

#: Family and set names come from the one table in :mod:`medfr_eval.core.sets`, which
#: ``medfr signif`` reads too: the site and the significance report name them alike.
FAMILIES: dict[str, str] = sets.ALL_FAMILIES

#: Set name -> (English title, what it measures).
SETS: dict[str, sets.SetLabel] = sets.SET_LABELS

#: lm-eval metric name (the part before the comma of a result key) -> label.
METRICS: dict[str, str] = {
    "acc": "Accuracy",
    "emr": "Exact match ratio (EMR)",
    "hamming": "Hamming score",
    "bertscore_f1": "BERTScore F1",
    "bertscore_precision": "BERTScore precision",
    "bertscore_recall": "BERTScore recall",
}
METRIC_HELP: dict[str, str] = {
    "acc": "share of items where the chosen letter is the right one",
    "emr": "share of items where the set of chosen letters is exactly the right one",
    "bertscore_f1": "BERTScore F1 between the generated answer and the reference answer",
}

#: Strategy key -> label; "unknown" when neither an entry nor a run card says.
STRATEGIES: dict[str, str] = {s.key: s.label for s in strategies.STRATEGIES} | {
    "unknown": "not stated"
}
STRATEGY_COLOURS: dict[str, str] = {s.key: s.colour for s in strategies.STRATEGIES} | {
    "unknown": "#9e9e9e"
}

#: Run card fields shown on a model page, with their label and unit.
CARD_FIELDS: dict[str, str] = {
    "tokens_seen": "Tokens seen",
    "gpu_hours": "GPU-hours",
    "hardware": "Hardware",
    "energy_kwh": "Energy (kWh)",
    "energy_method": "Energy measured by",
    "kgco2e": "Emissions (kg CO2e)",
    "cost_usd": "Cost (USD)",
    "wall_time_s": "Wall time",
    "carbon_intensity_kg_per_kwh": "Carbon intensity (kg CO2e/kWh)",
    "price_per_gpu_hour": "Price per GPU-hour (USD)",
}


#: Set name -> the main table's column heading. The 15 full titles need horizontal
#: scrolling at 1,400 px; a heading carries the full title as its tooltip, and the
#: "Test sets" list beside the table gives each abbreviation.
SHORT: dict[str, str] = {
    "medqa_4opt": "MedQA 4", "medqa_5opt": "MedQA 5", "medmcqa": "MedMCQA",
    "pubmedqa": "PubMedQA", "mmlu_anatomy": "MMLU Anat.",
    "mmlu_clinical_knowledge": "MMLU Clin.", "mmlu_college_biology": "MMLU Bio.",
    "mmlu_college_medicine": "MMLU Med.", "mmlu_professional_medicine": "MMLU Prof.",
    "mmlu_medical_genetics": "MMLU Gen.", "frbmedqa": "FrBMedQA", "frmedmcqa": "FrMedMCQA",
    "kqa": "K-QA", "frclinicalqa": "FrClinical QA", "frmedqa": "FrMedQA",
}  # fmt: skip

#: What "Overall" is, said wherever it is shown: it adds accuracy (%) and BERTScore F1
#: (x 100), two different quantities, so a reader must be told how it is made.
OVERALL_DEFINITION = (
    f"Overall = ({FAMILIES['mcq_translated']} + {FAMILIES['mcq_native']} + 100 × "
    f"{FAMILIES['openqa']}) / 3: the unweighted mean of the three family scores on a 0-100 "
    "scale. The MCQ families are accuracy in % (FrMedMCQA: exact match); open QA is "
    "BERTScore F1 × 100, another quantity: the overall orders models, it is not an accuracy."
)

#: Run card fields that are measurements of the run's footprint: shown as "not measured"
#: when the card says nothing was measured or estimated (a CPU run records 0 kWh).
FOOTPRINT_FIELDS = ("energy_kwh", "kgco2e", "cost_usd")
NOT_MEASURED = "not measured"


def set_title(name: str) -> str:
    return SETS[name][0]


def set_description(name: str) -> str:
    return SETS[name][1]


def metric_label(key: str) -> str:
    """``bertscore_f1,bertscore`` -> "BERTScore F1"; unknown metrics keep a readable form."""
    metric, _, _filter = key.partition(",")
    return METRICS.get(metric, metric.replace("_", " "))


def family_label(key: str) -> str:
    return sets.family_label(key)
