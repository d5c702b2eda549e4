"""CPT corpus preparation: segmentation, filters, language ID, dedup, readers, bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from medfr_train import corpus
from medfr_train.corpus import (
    CorpusConfig,
    CorpusError,
    HashSet64,
    check_sentence,
    main,
    paragraphs,
    prepare_corpus,
    split_sentences,
)

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


# ------------------------------------------------------------------ segmentation


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


# ------------------------------------------------------------------ dedup table


def test_hashset64_matches_python_set_across_growth():
    rng = np.random.default_rng(0)
    pool = rng.integers(0, 2**63, size=5000, dtype=np.uint64)
    pool[:3] = [0, 1, 2**63 + 5]  # 0 is stored as 1: it collides with 1 by design
    table = HashSet64(capacity=16)
    seen: set[int] = set()
    for _ in range(20):
        batch = rng.choice(pool, size=700)
        mask = table.add(batch)
        expected = []
        for k in batch.tolist():
            k = k or 1
            expected.append(k not in seen)
            seen.add(k)
        assert mask.tolist() == expected
    assert len(table) == len(seen)
    assert table.nbytes <= 4 * 8 * len(seen)  # at least a quarter full: <= 32 bytes per key


# ------------------------------------------------------------------ end to end


def test_prepare_corpus_txt_keeps_french_drops_the_rest(tmp_path):
    src = write_txt(tmp_path / "corpus.txt", ALL_DOCS)
    out = tmp_path / "out.jsonl"
    report = prepare_corpus([src], out, progress=False)
    texts = read_out(out)
    assert texts[:3] == FR_DOCS
    assert (
        texts[3]
        == "La surveillance de la fonction rénale est conseillée chez le sujet âgé polymédiqué."
    )
    assert len(texts) == 4
    assert "aspirin" not in "".join(texts)
    assert (
        report.documents_read == 6 and report.documents_kept == 4 and report.documents_dropped == 2
    )
    assert report.sentences_kept == 10
    assert report.sentences_read == report.sentences_kept + sum(report.dropped.values())
    d = report.dropped
    assert d["language"] == 3 and d["duplicate"] == 1 and d["too_short"] == 1
    assert d["boilerplate"] == 2 and d["repeated_chars"] == 1 and d["few_letters"] == 1
    saved = json.loads((tmp_path / "out.report.json").read_text(encoding="utf-8"))
    assert saved["dropped"] == d and saved["documents_kept"] == 4
    assert saved["config"]["lang"] == "fr"
    assert not list(tmp_path.glob("*.tmp"))


def test_all_formats_give_the_same_output(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    sources = {
        "txt": write_txt(tmp_path / "c.txt", ALL_DOCS),
        "txt.gz": tmp_path / "c.txt.gz",
        "jsonl": write_jsonl(tmp_path / "c.jsonl", ALL_DOCS),
        "jsonl.gz": write_jsonl(tmp_path / "c.jsonl.gz", ALL_DOCS),
        "parquet": tmp_path / "c.parquet",
    }
    sources["txt.gz"].write_bytes(gzip.compress(sources["txt"].read_bytes()))
    pq.write_table(
        pa.table({"text": ALL_DOCS, "id": list(range(len(ALL_DOCS)))}),
        sources["parquet"],
        row_group_size=2,
    )
    outputs = {}
    for kind, src in sources.items():
        out = tmp_path / f"out_{kind.replace('.', '_')}.jsonl"
        report = prepare_corpus(src, out, progress=False)
        assert report.bytes_read == src.stat().st_size
        outputs[kind] = read_out(out)
    assert all(v == outputs["txt"] for v in outputs.values()), outputs


def test_folder_input_and_gzip_output(tmp_path):
    folder = tmp_path / "nachos"
    (folder / "has").mkdir(parents=True)
    write_txt(folder / "has" / "a.txt", FR_DOCS[:2])
    write_jsonl(folder / "b.jsonl", [FR_DOCS[2], FR_DOCS[0]])
    (folder / "notes.md").write_text("ignoré", encoding="utf-8")
    out = tmp_path / "out.jsonl.gz"
    report = prepare_corpus([folder], out, progress=False)
    texts = read_out(out)
    # b.jsonl sorts before has/a.txt; FR_DOCS[0] seen in b.jsonl makes its copy in a.txt a duplicate.
    assert texts == [FR_DOCS[2], FR_DOCS[0], FR_DOCS[1]]
    assert report.dropped["duplicate"] == 3
    assert (tmp_path / "out.report.json").is_file()


def test_dedup_scopes(tmp_path):
    doc = FR_DOCS[0] + " " + FR_DOCS[0].split(". ")[0] + "."
    src = write_txt(tmp_path / "c.txt", [doc, FR_DOCS[0]])
    counts = {}
    for scope in ("corpus", "document", "none"):
        out = tmp_path / f"{scope}.jsonl"
        rep = prepare_corpus(src, out, progress=False, dedup_scope=scope)
        counts[scope] = (rep.documents_kept, rep.sentences_kept, rep.dropped["duplicate"])
    assert counts == {"corpus": (1, 3, 4), "document": (2, 6, 1), "none": (2, 7, 0)}


def test_language_scopes(tmp_path):
    mixed = FR_DOCS[1] + "\n\n" + EN_DOC.split(". ")[0] + "."
    src = write_txt(tmp_path / "c.txt", [mixed.replace("\n\n", " ")])
    # One group of everything: the French majority keeps the English sentence.
    rep = prepare_corpus(src, tmp_path / "doc.jsonl", progress=False, lang_scope="document")
    assert rep.dropped["language"] == 0 and rep.sentences_kept == 4
    rep = prepare_corpus(src, tmp_path / "sent.jsonl", progress=False, lang_scope="sentence")
    assert rep.dropped["language"] == 1 and rep.sentences_kept == 3
    assert "aspirin" not in read_out(tmp_path / "sent.jsonl")[0]
    # Language ID off keeps the English document.
    rep = prepare_corpus(
        write_txt(tmp_path / "en.txt", [EN_DOC]), tmp_path / "en.jsonl", progress=False, lang=""
    )
    assert rep.sentences_kept == 3


def test_paragraph_breaks_are_kept_in_the_output(tmp_path):
    src = tmp_path / "c.jsonl"
    write_jsonl(src, ["Posologie\n" + FR_DOCS[1]])
    prepare_corpus(src, tmp_path / "o.jsonl", progress=False)
    # The heading "Posologie" is dropped (too short); the paragraph survives whole.
    assert read_out(tmp_path / "o.jsonl") == [FR_DOCS[1]]
    src2 = write_jsonl(tmp_path / "c2.jsonl", [FR_DOCS[1] + "\n- " + FR_DOCS[2]])
    prepare_corpus(src2, tmp_path / "o2.jsonl", progress=False)
    assert read_out(tmp_path / "o2.jsonl") == [FR_DOCS[1] + "\n- " + FR_DOCS[2]]


def test_long_txt_without_blank_lines_is_streamed_in_pieces(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "MAX_BLOCK_CHARS", 300)
    src = tmp_path / "c.txt"
    src.write_text("\n".join(FR_DOCS * 2) + "\n", encoding="utf-8")
    docs = [t for t, _ in corpus.read_txt(src) if t is not None]
    assert len(docs) >= 2 and all(len(d) < 600 for d in docs)
    assert "".join(docs) == src.read_text(encoding="utf-8")


def test_two_workers_give_the_same_output(tmp_path):
    docs = [
        f"{d} Dossier numéro {i} relu par l'équipe soignante du service."
        for i in range(40)
        for d in FR_DOCS
    ]
    src = write_txt(tmp_path / "c.txt", docs + ALL_DOCS)
    one = prepare_corpus(src, tmp_path / "one.jsonl", progress=False, batch_docs=7)
    two = prepare_corpus(src, tmp_path / "two.jsonl", progress=False, workers=2, batch_docs=7)
    assert read_out(tmp_path / "one.jsonl") == read_out(tmp_path / "two.jsonl")
    assert one.dropped == two.dropped and one.sentences_kept == two.sentences_kept


# ------------------------------------------------------------------ bad input


def _assert_nothing_written(tmp_path: Path, out: Path) -> None:
    assert not out.exists()
    assert not list(tmp_path.glob("*.tmp"))
    assert not list(tmp_path.glob("*.report.json"))


def test_missing_file_and_unknown_extension(tmp_path):
    out = tmp_path / "out.jsonl"
    with pytest.raises(CorpusError, match=r"absent\.txt: corpus file not found"):
        prepare_corpus(tmp_path / "absent.txt", out, progress=False)
    (tmp_path / "c.docx").write_text("x", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"c\.docx: unknown corpus file type"):
        prepare_corpus(tmp_path / "c.docx", out, progress=False)
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(CorpusError, match="folder holds no corpus file"):
        prepare_corpus(tmp_path / "empty_dir", out, progress=False)
    _assert_nothing_written(tmp_path, out)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{pas du json", r"c\.jsonl:3: invalid JSON"),
        ('["une", "liste"]', r"c\.jsonl:3: expected a JSON object"),
        ('{"contenu": "texte"}', r"c\.jsonl:3: field 'text' is missing"),
        ('{"text": 12}', r"c\.jsonl:3: field 'text' must be a string"),
    ],
)
def test_bad_jsonl_line_names_file_and_line(tmp_path, line, message):
    src = tmp_path / "c.jsonl"
    good = json.dumps({"text": FR_DOCS[0]}, ensure_ascii=False)
    src.write_text(f"{good}\n\n{line}\n{good}\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with pytest.raises(CorpusError, match=message):
        prepare_corpus(src, out, progress=False)
    _assert_nothing_written(tmp_path, out)


def test_bad_utf8_parquet_column_and_gzip(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "out.jsonl"
    bad = tmp_path / "c.txt"
    bad.write_bytes(FR_DOCS[0].encode() + b"\n\xff\xfe texte\n")
    with pytest.raises(CorpusError, match=r"c\.txt:2: not valid UTF-8"):
        prepare_corpus(bad, out, progress=False)
    pq.write_table(pa.table({"contenu": ["texte"]}), tmp_path / "c.parquet")
    with pytest.raises(CorpusError, match=r"c\.parquet: column 'text' is missing"):
        prepare_corpus(tmp_path / "c.parquet", out, progress=False)
    (tmp_path / "broken.txt.gz").write_bytes(gzip.compress(FR_DOCS[0].encode())[:-12])
    with pytest.raises(CorpusError, match=r"broken\.txt\.gz: cannot read"):
        prepare_corpus(tmp_path / "broken.txt.gz", out, progress=False)
    _assert_nothing_written(tmp_path, out)


def test_empty_corpus_after_filtering_is_an_error(tmp_path):
    src = write_txt(tmp_path / "c.txt", [EN_DOC, JUNK_DOC])
    out = tmp_path / "out.jsonl"
    out.write_text("ancien contenu\n", encoding="utf-8")  # an older output is left untouched
    with pytest.raises(
        CorpusError, match=r"empty corpus after filtering: 2 document\(s\).*language 3"
    ):
        prepare_corpus(src, out, progress=False)
    assert out.read_text(encoding="utf-8") == "ancien contenu\n"
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob("*.report.json"))


def test_bad_options(tmp_path):
    src = write_txt(tmp_path / "c.txt", FR_DOCS)
    with pytest.raises(CorpusError, match="unknown corpus option"):
        prepare_corpus(src, tmp_path / "o.jsonl", progress=False, min_mots=3)
    with pytest.raises(CorpusError, match="'lang_threshold' must be between 0 and 1"):
        prepare_corpus(src, tmp_path / "o.jsonl", progress=False, lang_threshold=2.0)
    with pytest.raises(CorpusError, match="would overwrite an input"):
        prepare_corpus(src, src, progress=False)


# ------------------------------------------------------------------ CLI


def test_cli_success_prints_the_table(tmp_path, capsys):
    src = write_txt(tmp_path / "c.txt", ALL_DOCS)
    out = tmp_path / "out.jsonl"
    rc = main(
        [
            str(src),
            "-o",
            str(out),
            "--no-progress",
            "--min-words",
            "3",
            "--report",
            str(tmp_path / "r.json"),
        ]
    )
    assert rc == 0
    err = capsys.readouterr().err
    assert "dropped: language" in err and "kept" in err
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["config"]["min_words"] == 3
    assert len(read_out(out)) == 4


def test_cli_bad_input_exit_2(tmp_path, capsys):
    src = tmp_path / "c.jsonl"
    src.write_text('{"text": "ok"}\n{"text": \n', encoding="utf-8")
    rc = main([str(src), "-o", str(tmp_path / "out.jsonl"), "--no-progress"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "c.jsonl:2: invalid JSON" in err
    assert not (tmp_path / "out.jsonl").exists()
    with pytest.raises(SystemExit) as exc:
        main([str(src), "-o", str(tmp_path / "out.jsonl"), "--dedup-scope", "partout"])
    assert exc.value.code == 2


def test_shipped_sample_corpus_is_mostly_kept(tmp_path):
    """Clean French prose (our sample corpus) must pass the filters almost whole."""
    from medfr_eval.resources import recipes_dir

    sample = recipes_dir() / "data" / "cpt_corpus.txt"
    assert sample.is_file(), "the sample corpus ships with medfr"
    report = prepare_corpus(sample, tmp_path / "sample.jsonl", progress=False)
    assert report.dropped["language"] == 0
    assert report.sentences_kept >= 0.95 * report.sentences_read
    assert report.documents_kept == report.documents_read
