"""Sentence segmentation (corpus.segment) and sentence filters (corpus.filters)."""

from __future__ import annotations

import pytest

from medfr_train import corpus
from medfr_train.corpus import (
    CorpusConfig,
    check_sentence,
    paragraphs,
    split_sentences,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Le Dr. Martin reçoit M. Dupont le matin. Il repart le soir.",
            ["Le Dr. Martin reçoit M. Dupont le matin.", "Il repart le soir."],
        ),
        (
            "Il prend 2.5 mg, soit 0,5 mg/kg. La dose est bien tolérée.",
            ["Il prend 2.5 mg, soit 0,5 mg/kg.", "La dose est bien tolérée."],
        ),
        ("Un antalgique, p. ex. Doliprane, suffit.", ["Un antalgique, p. ex. Doliprane, suffit."]),
        ("Voir cf. Tableau 2 pour le détail.", ["Voir cf. Tableau 2 pour le détail."]),
        (
            "Fièvre, toux, etc. Le médecin conclut.",
            ["Fièvre, toux, etc.", "Le médecin conclut."],
        ),
        ("Selon J. Dupont, le risque baisse.", ["Selon J. Dupont, le risque baisse."]),
        (
            "Est-ce grave ? « Non », répond-il. 25 patients ont guéri.",
            ["Est-ce grave ?", "« Non », répond-il.", "25 patients ont guéri."],
        ),
        ("Arrêt du traitement. puis reprise.", ["Arrêt du traitement. puis reprise."]),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_paragraphs_headings_bullets_and_soft_wraps():
    text = "Posologie\nLe traitement est pris\ncomme prévu le matin.\n- premier point\n- second point\n\nFin."
    assert paragraphs(text) == [
        "Posologie",
        "Le traitement est pris comme prévu le matin.",
        "- premier point",
        "- second point",
        "Fin.",
    ]


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("Trop court ici.", "too_short"),
        ("Le patient " + "reçoit un traitement " * 200, "too_long"),
        ("Rendez-vous sur www.exemple.fr pour en savoir davantage.", "boilerplate"),
        ("Écrivez au secrétariat : contact@exemple.fr pour un rendez-vous.", "boilerplate"),
        ("Le patient hurle de douleur aaaaaaa toute la nuit.", "repeated_chars"),
        ("Résultats : 12/45 ; 13/46 ; 14/47 ; 15/48 ; 16/49.", "few_letters"),
        ("Lot numéro 2023120145 du flacon 9981 ouvert.", "many_digits"),
        ("Le patient (voir [annexe]) : « stable » ; « sorti » !", "many_punct"),
        ("Le patient reçoit un traitement antibiotique pendant sept jours.", None),
    ],
)
def test_check_sentence_reasons(sentence, reason):
    cfg = CorpusConfig()
    assert check_sentence(sentence, cfg, corpus._compile_repeat(cfg.max_char_repeat)) == reason
