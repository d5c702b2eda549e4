"""Small French data written for the training tests, and recipe helpers."""

from __future__ import annotations

import json
import random
from pathlib import Path

SENTENCES = [
    "Le patient présente une fièvre à 39 degrés depuis trois jours.",
    "L'examen clinique retrouve une douleur à la palpation de la fosse iliaque droite.",
    "La tension artérielle est mesurée à 150 sur 95 mmHg aux deux bras.",
    "Un traitement par amoxicilline est débuté pour une durée de six jours.",
    "La radiographie thoracique montre une opacité de la base pulmonaire gauche.",
    "Le bilan biologique révèle une hyperleucocytose à polynucléaires neutrophiles.",
    "L'insuffisance cardiaque se manifeste souvent par une dyspnée d'effort.",
    "Le diabète de type 2 est favorisé par la sédentarité et le surpoids.",
    "La vaccination contre la grippe est recommandée après soixante-cinq ans.",
    "Une surveillance de la fonction rénale est nécessaire sous ce médicament.",
]


def write_corpus(path: Path, n_docs: int = 40, seed: int = 0) -> Path:
    """Blank-line-separated French documents (the .txt CPT corpus format)."""
    rng = random.Random(seed)
    docs = [
        " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(2, 8))) for _ in range(n_docs)
    ]
    path.write_text("\n\n".join(docs) + "\n", encoding="utf-8")
    return path


SFT_ROWS = [
    {
        "id": "t1",
        "type": "mcq",
        "question": "Quel antibiotique est proposé en première intention dans l'angine bactérienne de l'adulte ?",
        "options": ["Amoxicilline", "Vancomycine", "Colistine", "Métronidazole"],
        "answer": "A",
        "source": "synthetic",
    },
    {
        "id": "t2",
        "type": "mcq_multi",
        "question": "Quels signes évoquent une insuffisance cardiaque gauche ?",
        "options": ["Dyspnée d'effort", "Orthopnée", "Ictère", "Crépitants aux bases", "Prurit"],
        "answer": ["A", "B", "D"],
        "source": "native",
    },
    {
        "id": "t3",
        "type": "open",
        "question": "Quelle est la durée habituelle du traitement ?",
        "context": "Une femme de 30 ans présente une cystite simple sans signe de gravité.",
        "answer": "Une dose unique de fosfomycine-trométamol suffit le plus souvent.",
        "source": "translated",
    },
    {
        "id": "t4",
        "type": "mcq",
        "question": "Quel examen confirme le diagnostic ?",
        "context": "Un homme de 60 ans fumeur consulte pour une douleur thoracique constrictive.",
        "options": [
            "Électrocardiogramme",
            "Échographie abdominale",
            "Scanner cérébral",
            "Fond d'œil",
        ],
        "answer": "A",
        "source": "synthetic",
        "explanation": "Le tracé recherche des signes d'ischémie.",
    },
]


def write_sft(path: Path, copies: int = 3) -> Path:
    rows = []
    for k in range(copies):
        for r in SFT_ROWS:
            rows.append({**r, "id": f"{r['id']}-{k}"})
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def write_recipe(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
