"""prepare_corpus end to end (corpus.driver, readers, worker): formats, scopes, workers."""

from __future__ import annotations

import gzip
import json

from corpus_docs import (
    ALL_DOCS,
    EN_DOC,
    FR_DOCS,
    read_out,
    write_jsonl,
    write_txt,
)

from medfr_train.corpus import (
    prepare_corpus,
    readers,
)


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
    monkeypatch.setattr(readers, "MAX_BLOCK_CHARS", 300)
    src = tmp_path / "c.txt"
    src.write_text("\n".join(FR_DOCS * 2) + "\n", encoding="utf-8")
    docs = [t for t, _ in readers.read_txt(src) if t is not None]
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
