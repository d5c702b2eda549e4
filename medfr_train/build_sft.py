"""The study's SFT mix, drawn from a source with an ``origin`` column (MedInjection-FR).

The study trained SFT on 30K French medical QA pairs: 10K native, 10K
translated, 10K synthetic (the paper's training data), not on the 500K rows of
``MedInjection-FR/ALL``. :func:`build_sft` draws that mix:

1. a first streamed pass reads, per row, its origin, a key of its normalised
   text (for deduplication) and whether it shares a 13-gram with an evaluation
   item (:mod:`medfr_eval.contamination`): MedInjection-FR's native part holds
   S-Editions and FrBMedQA, the sources of four of the study's test sets;
2. per origin, the usable, first-seen, clean rows are permuted with a seeded
   generator (numpy's legacy ``RandomState``, whose stream numpy keeps stable
   across versions) and the first ``size`` are kept, so a larger size extends
   a smaller draw;
3. a second pass converts the kept rows to the medfr SFT schema (DEVELOPERS.md,
   "SFT data") and writes them with a data card, both atomically.

Reading the source (MedInjection-FR's parquet layout, a ``.parquet`` or
``.jsonl`` file with its columns, or a Hub id): :mod:`medfr_train.sft_source`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medfr_eval.contamination.ngrams import words
from medfr_eval.core.fileio import dumps_strict, sha256_file, temp_beside, term_as_interrupt
from medfr_train.errors import SFTDataError
from medfr_train.sft_source import Chunk, read_chunks, source_files

ORIGINS = ("native", "translated", "synthetic")
STUDY_SIZES = {"native": 10_000, "translated": 10_000, "synthetic": 10_000}


# ---------------------------------------------------------------- rows


def origin_of(value: Any, chunk: Chunk, i: int) -> int:
    """Index of the row's origin in :data:`ORIGINS`; anything else is refused."""
    name = value.strip().lower() if isinstance(value, str) else value
    if name not in ORIGINS:
        raise SFTDataError(
            f"unknown origin {value!r}; expected one of {', '.join(ORIGINS)}",
            **chunk.where(i),
            field="origin",
        )
    return ORIGINS.index(name)


def row_text(chunk: Chunk, i: int) -> str:
    """What the model trains on: instruction, context and answer."""
    parts = [chunk.cols[c][i] for c in ("instruction", "context", "answer")]
    return "\n".join(p for p in parts if isinstance(p, str) and p.strip())


def dedup_key(chunk: Chunk, i: int) -> int:
    """64-bit key of the normalised instruction, context and answer (case, punctuation ignored)."""
    h = hashlib.blake2b(digest_size=8)
    for c in ("instruction", "context", "answer"):
        value = chunk.cols[c][i]
        h.update(b" ".join(words(value)) if isinstance(value, str) else b"")
        h.update(b"\x00")
    return int.from_bytes(h.digest(), "little")


def usable(chunk: Chunk, i: int) -> bool:
    return all(
        isinstance(chunk.cols[c][i], str) and chunk.cols[c][i].strip()
        for c in ("instruction", "answer")
    )


_OPTION = re.compile(r"^\s*\(?([A-Za-z])\s*[).:\-]\s+(\S.*)$")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def split_options(instruction: str) -> tuple[str, list[str]] | None:
    """(question, options) when the instruction ends with lines "A. ...", "B) ...", in order."""
    lines = instruction.strip().splitlines()
    first = next((k for k, ln in enumerate(lines) if _OPTION.match(ln)), None)
    if first is None or first == 0:
        return None
    options = []
    for k, ln in enumerate(lines[first:]):
        m = _OPTION.match(ln)
        if not m or m[1].upper() != _LETTERS[k]:
            return None
        options.append(m[2].strip())
    question = "\n".join(lines[:first]).strip()
    return (question, options) if len(options) >= 2 and question else None


def answer_letters(answer: str, n_options: int) -> list[str] | None:
    """The letters of an MCQ answer ("A", "A, C", "B et D."), or None if it is not only letters."""
    tokens = [t for t in re.split(r"[\s,;/+]+|\bet\b", answer.strip().rstrip(".")) if t]
    letters = [t.upper() for t in tokens]
    if not letters or any(len(t) != 1 or t not in _LETTERS[:n_options] for t in letters):
        return None
    return sorted(set(letters))


def to_sft(chunk: Chunk, i: int, row_id: str, origin: str) -> tuple[dict[str, Any], str]:
    """One source row in the medfr SFT schema, and how it was converted.

    An MCQ whose options ("A. ..." lines ending the instruction) and answer
    letters parse cleanly becomes ``mcq`` (type ``mcqu``: one answer) or
    ``mcq_multi`` (type ``mcq``: one or more answers, as FrenchMedMCQA);
    anything else stays ``open`` with the instruction and the answer
    verbatim, so the text trained on is never altered by a guess."""
    instruction, answer = chunk.cols["instruction"][i].strip(), chunk.cols["answer"][i].strip()
    context = chunk.cols["context"][i]
    kind = str(chunk.cols["type"][i] or "").strip().lower()
    row: dict[str, Any] = {"id": row_id, "type": "open", "question": instruction, "answer": answer}
    how = "open"
    if kind.startswith("mcq"):  # MedInjection-FR: "mcqu" single answer, "mcq" one or more
        parsed = split_options(instruction)
        letters = answer_letters(answer, len(parsed[1])) if parsed else None
        single = kind == "mcqu"
        if parsed and letters and (len(letters) == 1 or not single):
            row["type"] = "mcq" if single else "mcq_multi"
            row["question"], row["options"] = parsed
            row["answer"] = letters[0] if single else letters
            how = row["type"]
        else:
            how = "open (MCQ not parsed)"
    if isinstance(context, str) and context.strip():
        row["context"] = context.strip()
    row["source"] = origin
    return row, how


# ---------------------------------------------------------------- building


@dataclass
class Scan:
    """What the first pass keeps per row: a few bytes, never the text."""

    origin: np.ndarray  # int8 index into ORIGINS
    usable: np.ndarray  # bool: instruction and answer present
    duplicate: np.ndarray  # bool: same normalised text as an earlier row
    contaminated: np.ndarray  # bool: shares an n-gram with an evaluation item


def scan_source(chunks: Iterator[Chunk], index=None) -> Scan:
    """First pass: origins, usability, duplicates and contamination of every row."""
    origin, ok, dup, dirty = [], [], [], []
    seen: set[int] = set()
    for chunk in chunks:
        n = len(chunk.cols["origin"])
        origin.append(
            np.fromiter(
                (origin_of(chunk.cols["origin"][i], chunk, i) for i in range(n)), np.int8, n
            )
        )
        ok.append(np.fromiter((usable(chunk, i) for i in range(n)), bool, n))
        d = np.zeros(n, bool)
        for i in range(n):
            key = dedup_key(chunk, i)
            d[i] = key in seen
            seen.add(key)
        dup.append(d)
        c = np.zeros(n, bool)
        if index is not None:
            hit, _ = index.scan_batch([row_text(chunk, i) for i in range(n)], lambda i: "")
            c[hit] = True
        dirty.append(c)

    def cat(parts: list[np.ndarray], dtype) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty(0, dtype)

    return Scan(cat(origin, np.int8), cat(ok, bool), cat(dup, bool), cat(dirty, bool))


def draw(scan: Scan, sizes: dict[str, int], seed: int, source: str) -> tuple[np.ndarray, dict]:
    """Row indices to keep (sorted) and the per-origin counts; too few rows is refused."""
    unknown = sorted(set(sizes) - set(ORIGINS))
    if unknown:
        raise SFTDataError(
            f"unknown origin {unknown[0]!r}; expected among {', '.join(ORIGINS)}", field="sizes"
        )
    keep, counts = [], {}
    for k, name in enumerate(ORIGINS):
        mine = scan.origin == k
        unusable = mine & ~scan.usable
        duplicate = mine & scan.usable & scan.duplicate
        contaminated = mine & scan.usable & ~scan.duplicate & scan.contaminated
        available = np.flatnonzero(mine & scan.usable & ~scan.duplicate & ~scan.contaminated)
        want = sizes.get(name, 0)
        counts[name] = {
            "rows": int(mine.sum()),
            "unusable": int(unusable.sum()),
            "duplicates": int(duplicate.sum()),
            "contaminated": int(contaminated.sum()),
            "available": len(available),
            "requested": want,
            "drawn": min(want, len(available)),
        }
        if want > len(available):
            c = counts[name]
            raise SFTDataError(
                f"{want} {name} rows asked, the source offers {len(available)} "
                f"({c['rows']} rows, less {c['duplicates']} duplicates, {c['contaminated']} "
                f"contaminated, {c['unusable']} without instruction or answer)",
                file=source,
                field=f"--{name}",
            )
        order = np.random.RandomState([seed, k]).permutation(len(available))
        keep.append(available[order[:want]])
    return np.sort(np.concatenate(keep)), counts


def card_path(output: str | Path) -> Path:
    """The data card beside the SFT file: ``sft.jsonl`` -> ``sft.card.json``."""
    output = Path(output)
    return output.with_name(output.name.removesuffix(".jsonl") + ".card.json")


def _write_rows(chunks: Iterator[Chunk], keep: np.ndarray, split: str, tmp: Path) -> Counter:
    """Second pass: the kept rows, converted and checked, into ``tmp``; counts per conversion."""
    from medfr_train.sft_data import validate_row

    wanted = set(keep.tolist())
    how_many: Counter = Counter()
    with tmp.open("w", encoding="utf-8") as out:
        for chunk in chunks:
            for i in range(len(chunk.cols["origin"])):
                row_index = chunk.start + i
                if row_index not in wanted:
                    continue
                origin = ORIGINS[origin_of(chunk.cols["origin"][i], chunk, i)]
                row, how = to_sft(chunk, i, f"{split}-{row_index:07d}", origin)
                validate_row(row)  # a failure here is a bug in to_sft, not bad input
                how_many[how] += 1
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return how_many


def _card(source, split, files, scan, seed, sizes, output, tmp, keep, counts) -> dict[str, Any]:
    """The data card: where the rows come from, how many per origin, what was dropped, hashes."""
    return {
        "medfr_sft_card_version": 1,
        "what": "the study's SFT mix (native / translated / synthetic) drawn by medfr train build-sft",
        "source": {
            "path": str(source),
            "split": split,
            "rows": int(len(scan.origin)),
            "files": [
                {"file": str(f), "bytes": f.stat().st_size, "sha256": sha256_file(f)}
                for f in files or []
            ],
        },
        "seed": seed,
        "sizes": sizes,
        "output": {"file": str(output), "rows": int(len(keep)), "sha256": sha256_file(tmp)},
        "origins": counts,
        "dropped": {
            reason: sum(c[reason] for c in counts.values())
            for reason in ("unusable", "duplicates", "contaminated")
        },
        "types": {},
        "decontamination": None,
    }


def _decontamination(index, sets, n: int, data, skipped) -> dict[str, Any]:
    """The card's decontamination entry: settings, sets checked or not, items found in the source."""
    from medfr_eval.contamination.check import report

    rep = report(index, [], data=data, skipped=skipped)
    return {
        "n": n,
        "against": [es.task for es in sets if es.name not in rep["skipped_sets"]],
        "not_checked": rep["skipped_sets"],
        "eval_data": rep["eval_data"],
        "eval_items_overlapping_the_source": {
            name: s["contaminated_items"] for name, s in rep["sets"].items()
        },
    }


def build_sft(
    source: str | Path,
    output: str | Path,
    *,
    sizes: dict[str, int] | None = None,
    seed: int = 42,
    split: str = "train",
    decontaminate: bool = True,
    against: list[str] | None = None,
    data: str | None = None,
    n: int = 13,
    skip_missing: bool = False,
) -> dict[str, Any]:
    """Draw the SFT mix from ``source`` into ``output`` (JSONL) and its data card; returns the card."""
    from medfr_eval.contamination.check import EvalIndex, check_n
    from medfr_eval.contamination.evalitems import load_items, resolve_sets

    sizes = dict(STUDY_SIZES if sizes is None else sizes)
    for name, size in sizes.items():
        if not isinstance(size, int) or size < 0:
            raise SFTDataError(f"expected a size >= 0, got {size!r}", field=f"--{name}")
    output = Path(output)
    card_file = check_outputs(output)  # before the long first pass
    files = source_files(source, split)
    index, sets = None, []
    skipped: dict[str, str] | None = {} if skip_missing else None
    if decontaminate:
        check_n(n)
        sets = resolve_sets(against)
        items = load_items(sets, data, None, skipped)
        if not items:
            raise SFTDataError(
                "no evaluation set could be loaded to decontaminate against", field="--data"
            )
        index = EvalIndex.build(items, n)
    scan = scan_source(read_chunks(source, split, files), index)
    if len(scan.origin) == 0:
        raise SFTDataError("the source has no rows", file=source)
    keep, counts = draw(scan, sizes, seed, str(source))

    def make_card(tmp: Path, conversions: Counter) -> dict[str, Any]:
        card = _card(source, split, files, scan, seed, sizes, output, tmp, keep, counts)
        card["types"] = dict(sorted(conversions.items()))
        if index is not None:
            card["decontamination"] = _decontamination(index, sets, n, data, skipped)
        return card

    return write_outputs(
        output,
        card_file,
        lambda tmp: _write_rows(read_chunks(source, split, files), keep, split, tmp),
        make_card,
    )


def check_outputs(output: Path) -> Path:
    """Check both destinations (the rows and their card) before anything is written or moved.

    Why both first: were the card path a folder, the rows would already have
    replaced the previous output when writing the card failed, losing both.
    """
    card_file = card_path(output)
    for path in (output, card_file):
        if path.is_dir():
            raise SFTDataError("is a folder; give a file name (or move the folder)", file=path)
    parent = next((p for p in (output.parent, *output.parent.parents) if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise SFTDataError("is a file, not a folder", file=parent)
    return card_file


def write_outputs(
    output: Path,
    card_file: Path,
    write_rows: Callable[[Path], Counter],
    make_card: Callable[[Path, Counter], dict[str, Any]],
) -> dict[str, Any]:
    """Write the rows and the card to temp files beside them, then move both into place.

    A failure (a full disk, Ctrl-C, SIGTERM) before the moves leaves the previous
    output and card as they were and no temp file; an OS error is one line."""
    tmp: Path | None = None
    card_tmp: Path | None = None
    try:
        with term_as_interrupt():
            try:
                output.parent.mkdir(parents=True, exist_ok=True)
                tmp = temp_beside(output)
                conversions = write_rows(tmp)
                card = make_card(tmp, conversions)
                card_tmp = temp_beside(card_file)
                card_tmp.write_text(
                    dumps_strict(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
                )
                os.replace(tmp, output)
                os.replace(card_tmp, card_file)
            finally:
                for leftover in (tmp, card_tmp):
                    if leftover is not None:
                        leftover.unlink(missing_ok=True)
    except OSError as exc:
        raise SFTDataError(f"cannot write: {exc.strerror or exc}", file=output) from None
    return card
    return card
