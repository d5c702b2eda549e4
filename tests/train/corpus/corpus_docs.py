"""French medical prose written for the corpus tests, and small file helpers."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

# French medical prose written for these tests (each paragraph is a document).
FR_DOCS = [
    "Le paracétamol est un antalgique de palier 1 utilisé en première intention. "
    "Chez l'adulte, la dose usuelle est de 500 mg à 1 g par prise, sans dépasser 4 g par jour. "
    "Le Dr. Martin rappelle que l'insuffisance hépatique impose une réduction de la dose.",
    "L'hypertension artérielle est définie par une pression supérieure à 140/90 mmHg. "
    "Le diagnostic repose sur plusieurs mesures réalisées au cabinet ou à domicile. "
    "Les règles hygiéno-diététiques précèdent souvent l'introduction d'un traitement.",
    "La vaccination contre la grippe saisonnière est recommandée chez les personnes âgées. "
    "Elle réduit le risque d'hospitalisation pendant la période épidémique hivernale. "
    "Le pharmacien peut désormais administrer ce vaccin dans son officine.",
]
EN_DOC = (
    "The patient was given aspirin twice a day and improved quickly after the surgery. "
    "This whole paragraph is written in English on purpose for the language filter. "
    "Nurses monitored the blood pressure every four hours during the night shift."
)
# The first sentence of FR_DOCS[0] again, then a new French sentence.
DUP_DOC = (
    "Le paracétamol est un antalgique de palier 1 utilisé en première intention. "
    "La surveillance de la fonction rénale est conseillée chez le sujet âgé polymédiqué."
)
JUNK_DOC = "\n".join(
    [
        "12 34 56 78 90 12 34 56 78 90 11 22 33",
        "Court.",
        "Acceptez-vous les cookies de ce site pour une meilleure navigation ?",
        "Consultez https://exemple.fr pour découvrir toutes nos offres de santé.",
        "Le service des urgences est fermé ce soir ........ merci de patienter.",
    ]
)
ALL_DOCS = [*FR_DOCS, EN_DOC, DUP_DOC, JUNK_DOC]


def write_txt(path: Path, docs: list[str]) -> Path:
    path.write_text("\n\n".join(docs) + "\n", encoding="utf-8")
    return path


def write_jsonl(path: Path, docs: list[str], field: str = "text") -> Path:
    lines = "".join(
        json.dumps({field: d, "source": "test"}, ensure_ascii=False) + "\n" for d in docs
    )
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(lines)
    else:
        path.write_text(lines, encoding="utf-8")
    return path


def read_out(path: Path) -> list[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    assert all(set(r) == {"text"} for r in rows)
    return [r["text"] for r in rows]
