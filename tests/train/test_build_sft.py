"""``medfr-train build-sft``: the study's SFT mix from a MedInjection-FR-like source.

The source files are written here, in MedInjection-FR's exact layout (parquet
``data/train-*.parquet``, string columns instruction / context / answer / type /
origin), with our own text.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medfr_eval.cli import run
from medfr_eval.data.load import load_records
from medfr_train.build_sft import card_path, split_options
from medfr_train.build_sft_cli import build_sft_command
from medfr_train.sft_data import validate_file

ORIGINS = ("native", "translated", "synthetic")


def mcq_text(origin: str, k: int) -> str:
    return (
        f"Question {origin} {k} : quel examen faut-il demander en premier devant le tableau {k} ?\n"
        f"A. La radiographie du thorax {k}\nB. Le dosage sanguin {k}\nC. L'échographie {k}\n"
        f"D. Aucun examen {k}"
    )


def source_rows(contaminated_text: str) -> list[dict]:
    rows = []
    for origin in ORIGINS:
        for k in range(12):
            kind = ("mcqu", "mcq", "oeq")[k % 3]
            if kind == "oeq":
                instruction = f"Expliquez en deux phrases la conduite à tenir {k} ({origin})."
                answer = f"Il faut d'abord évaluer la gravité {k}, puis traiter la cause {origin}."
            else:
                instruction = mcq_text(origin, k)
                answer = "B" if kind == "mcqu" else "A, C"
            rows.append(
                {
                    "instruction": instruction,
                    "context": f"Contexte clinique {k}." if k % 4 == 0 else None,
                    "answer": answer,
                    "type": kind,
                    "origin": origin.capitalize() if k == 5 else origin,
                }
            )
    # a duplicate up to case and punctuation, an unusable row, a contaminated row
    dup = dict(rows[1])
    dup["instruction"] = dup["instruction"].upper().replace(":", " ;")
    rows.append(dup)
    rows.append(
        {
            "instruction": "Sans réponse",
            "context": None,
            "answer": "",
            "type": "oeq",
            "origin": "native",
        }
    )
    rows.append(
        {
            "instruction": "Résumez ce texte.",
            "context": contaminated_text,
            "answer": "Résumé.",
            "type": "oeq",
            "origin": "native",
        }
    )
    # an MCQ whose answer is not letters: kept as an open question
    rows.append(
        {
            "instruction": mcq_text("synthetic", 99),
            "context": None,
            "answer": "La radiographie",
            "type": "mcqu",
            "origin": "synthetic",
        }
    )
    return rows


@pytest.fixture(scope="module")
def eval_text() -> str:
    return load_records("pubmedqa", "sample")[0]["context"]


@pytest.fixture()
def source(tmp_path, eval_text):
    """A local copy of MedInjection-FR: data/train-0000{0,1}-of-00002.parquet."""
    rows = source_rows(eval_text)
    folder = tmp_path / "MedInjection-FR"
    (folder / "data").mkdir(parents=True)
    half = len(rows) // 2
    for i, part in enumerate((rows[:half], rows[half:])):
        table = pa.table({c: pa.array([r[c] for r in part], pa.string()) for c in rows[0]})
        pq.write_table(table, folder / "data" / f"train-0000{i}-of-00002.parquet")
    return folder


SMALL = ["--native", "6", "--translated", "5", "--synthetic", "5", "--data", "sample"]


def test_draws_the_mix_deduplicated_and_decontaminated(tmp_path, source, capsys):
    out = tmp_path / "sft.jsonl"
    assert run(build_sft_command, [str(source), "-o", str(out), *SMALL]) == 0
    rows = validate_file(out)  # the medfr SFT schema
    assert [sum(r["source"] == o for r in rows) for o in ORIGINS] == [6, 5, 5]
    assert not any("Résumez" in r["question"] for r in rows)
    card = json.loads(card_path(out).read_text(encoding="utf-8"))
    assert card["origins"]["native"] == {
        "rows": 15, "unusable": 1, "duplicates": 1, "contaminated": 1,
        "available": 12, "requested": 6, "drawn": 6,
    }  # fmt: skip
    assert card["dropped"] == {"unusable": 1, "duplicates": 1, "contaminated": 1}
    assert card["output"]["rows"] == 16 and card["seed"] == 42
    assert len(card["source"]["files"]) == 2 and all(
        len(f["sha256"]) == 64 for f in card["source"]["files"]
    )
    import hashlib

    assert card["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert card["decontamination"]["n"] == 13
    assert card["decontamination"]["eval_items_overlapping_the_source"]["pubmedqa"] == 1
    assert sum(card["types"].values()) == 16
    assert "wrote 16 rows" in capsys.readouterr().out


def test_same_seed_same_file_and_larger_sizes_extend_the_draw(tmp_path, source):
    a, b, c, big = (tmp_path / f"{x}.jsonl" for x in "abc" + "d")
    assert run(build_sft_command, [str(source), "-o", str(a), *SMALL]) == 0
    assert run(build_sft_command, [str(source), "-o", str(b), *SMALL]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert run(build_sft_command, [str(source), "-o", str(c), *SMALL, "--seed", "7"]) == 0
    assert a.read_bytes() != c.read_bytes()
    bigger = ["--native", "9", "--translated", "5", "--synthetic", "5", "--data", "sample"]
    assert run(build_sft_command, [str(source), "-o", str(big), *bigger]) == 0
    ids = {r["id"] for r in validate_file(a)}
    assert ids < {r["id"] for r in validate_file(big)}


def test_conversion_to_the_sft_schema(tmp_path, source):
    out = tmp_path / "all.jsonl"
    sizes = ["--native", "12", "--translated", "12", "--synthetic", "13", "--data", "sample"]
    assert run(build_sft_command, [str(source), "-o", str(out), *sizes]) == 0
    rows = {r["id"]: r for r in validate_file(out)}
    by_type = {
        t: [r for r in rows.values() if r["type"] == t] for t in ("mcq", "mcq_multi", "open")
    }
    single = by_type["mcq"][0]
    assert single["answer"] == "B" and len(single["options"]) == 4
    assert single["options"][0].startswith("La radiographie du thorax")
    assert "A." not in single["question"]
    assert all(r["answer"] == ["A", "C"] for r in by_type["mcq_multi"])
    assert any(r.get("context", "").startswith("Contexte clinique") for r in rows.values())
    # the MCQ whose answer is a text stays verbatim as an open question
    kept = [r for r in by_type["open"] if r["answer"] == "La radiographie"]
    assert len(kept) == 1 and kept[0]["question"] == mcq_text("synthetic", 99)
    card = json.loads(card_path(out).read_text())
    assert card["types"]["open (MCQ not parsed)"] == 1


def test_jsonl_source_gives_the_same_rows(tmp_path, eval_text, source):
    src = tmp_path / "source.jsonl"
    src.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in source_rows(eval_text)),
        encoding="utf-8",
    )
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert run(build_sft_command, [str(source), "-o", str(a), *SMALL]) == 0
    assert run(build_sft_command, [str(src), "-o", str(b), *SMALL]) == 0
    assert a.read_bytes() == b.read_bytes()


def test_without_decontamination_the_row_may_stay(tmp_path, source):
    out = tmp_path / "raw.jsonl"
    args = [
        str(source),
        "-o",
        str(out),
        "--native",
        "13",
        "--translated",
        "0",
        "--synthetic",
        "0",
        "--no-decontaminate",
    ]
    assert run(build_sft_command, args) == 0
    assert any("Résumez" in r["question"] for r in validate_file(out))
    assert json.loads(card_path(out).read_text())["decontamination"] is None


def test_split_options_needs_letters_in_order():
    assert split_options("Q ?\nA. un\nB. deux") == ("Q ?", ["un", "deux"])
    assert split_options("Q ?\nA. un\nC. deux") is None
    assert split_options("A. un\nB. deux") is None  # no question before the options


def write_parquet(path, columns: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (
            lambda d: write_parquet(
                d / "data" / "train-00000-of-00001.parquet",
                {"instruction": ["q"], "answer": ["a"], "type": ["oeq"]},
            ),
            [],
            "train-00000-of-00001.parquet: origin: column missing",
        ),
        (
            lambda d: (d / "s.jsonl").write_text('{"instruction": "q", "answer": "a"}\n'),
            [],
            "s.jsonl:1: origin: missing",
        ),
        (
            lambda d: write_parquet(
                d / "x.parquet",
                {"instruction": ["q", "r"], "answer": ["a", "b"], "origin": ["native", "human"]},
            ),
            [],
            "x.parquet (row 1): origin: unknown origin 'human'",
        ),
        (None, ["--native", "50"], "--native: 50 native rows asked, the source offers 12"),
        (None, ["-n", "3"], "-n: n-gram size must be an integer >= 5"),
        (None, ["--against", "medfr_nope"], "unknown set or group 'medfr_nope'"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path, source, capsys, make, args, message
):
    src = source
    if make is not None:
        src = tmp_path / "bad"
        src.mkdir()
        make(src)
        files = list(src.glob("*.*"))
        src = files[0] if files else src
    out = tmp_path / "out" / "sft.jsonl"
    base = ["--native", "1", "--translated", "0", "--synthetic", "0", "--data", "sample"]
    assert run(build_sft_command, [str(src), "-o", str(out), *base, *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_optional_columns_may_be_absent(tmp_path):
    src = tmp_path / "min.parquet"
    n = 6
    write_parquet(
        src,
        {
            "instruction": [f"Décrivez le signe clinique numéro {k}." for k in range(n)],
            "answer": [f"Réponse {k}." for k in range(n)],
            "origin": ["native", "translated", "synthetic"] * 2,
        },
    )
    out = tmp_path / "min.jsonl"
    args = [str(src), "-o", str(out), "--native", "2", "--translated", "2", "--synthetic", "1"]
    assert run(build_sft_command, [*args, "--data", "sample"]) == 0
    rows = validate_file(out)
    assert len(rows) == 5 and all(r["type"] == "open" and "context" not in r for r in rows)


def test_skip_missing_lists_the_sets_not_checked(tmp_path, source, capsys):
    out = tmp_path / "sft.jsonl"
    args = [str(source), "-o", str(out), "--native", "2", "--translated", "0", "--synthetic", "0"]
    empty = tmp_path / "no-eval-data"
    empty.mkdir()
    assert run(build_sft_command, [*args, "--data", str(empty)]) == 2
    assert not out.exists()
    capsys.readouterr()
    assert run(build_sft_command, [*args, "--data", str(empty), "--against", "kqa"]) == 2
    assert "no data for set 'kqa'" in capsys.readouterr().err
    assert run(build_sft_command, [*args, "--data", str(empty), "--skip-missing"]) == 2
    assert "no evaluation set could be loaded" in capsys.readouterr().err
    assert not out.exists()


def test_skip_missing_decontaminates_against_what_is_there(tmp_path, source):
    from medfr_eval.core.resources import samples_dir

    data = tmp_path / "evaldata"
    data.mkdir()
    (data / "pubmedqa.jsonl").write_bytes((samples_dir() / "pubmedqa.jsonl").read_bytes())
    out = tmp_path / "sft.jsonl"
    args = [str(source), "-o", str(out), "--native", "12", "--translated", "0", "--synthetic", "0"]
    assert run(build_sft_command, [*args, "--data", str(data), "--skip-missing"]) == 0
    card = json.loads(card_path(out).read_text())
    assert card["decontamination"]["against"] == ["medfr_pubmedqa"]
    assert len(card["decontamination"]["not_checked"]) == 14
    assert card["origins"]["native"]["contaminated"] == 1
