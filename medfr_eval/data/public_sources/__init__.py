"""The public copies of medfr's sets: one module per source, one table here.

Each source module knows one Hugging Face dataset repo at a pinned revision:
which files to download (plain ``hf_hub_download``: no dataset script, no
``trust_remote_code``), how their records are laid out, and how they map onto
our JSONL schema. Every record is checked on the way: a file that does not look
as documented (docs/data.md) stops with one line naming the source, the file and
the field. The conversion itself (downloading, temp folder, manifest) is
:mod:`medfr_eval.data.fetch`.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from medfr_eval.core.sets import PUBLIC_SETS


class Progress(Protocol):
    def __call__(self, n_bytes: int) -> None: ...


# (set name, record in our schema, where: a label for errors such as "data.zip:…json[12]")
Converted = tuple[str, dict[str, Any], str]

COMMIT = re.compile(r"[0-9a-f]{40}")


@dataclass
class Tally:
    """What a reader counted while converting, for the manifest and the summary lines.

    Why a tally and not an error: where the source's own loader goes on (a
    record of a corpus it does not know, a PubMedQA record without an abstract,
    an MCQM item with one answer), medfr goes on too, and says how many."""

    # records left out, by the reason's value (e.g. an unknown corpus_name: {corpus: n})
    skipped: Counter = field(default_factory=Counter)
    # per set: {note: n}, e.g. {"pubmedqa": {"without_context": 3}}
    notes: dict[str, Counter] = field(default_factory=dict)

    def note(self, set_name: str, what: str) -> None:
        self.notes.setdefault(set_name, Counter())[what] += 1


@dataclass(frozen=True)
class PublicSource:
    """A Hub dataset repo at a pinned revision and the files medfr reads from it."""

    key: str
    repo: str
    # what the Hub is asked for: a commit sha where one could be confirmed, else a branch
    # (then the commit is resolved at fetch time and recorded in MANIFEST.json)
    revision: str
    license: str
    title: str  # said to users (README, manifest, errors)
    module: str  # the reader, medfr_eval.data.public_sources.<module>
    # how the pinned commit was confirmed, or why no commit is pinned (README, manifest)
    pin_note: str = ""

    @property
    def pinned(self) -> bool:
        """True when ``revision`` is a commit sha (immutable), not a branch."""
        return bool(COMMIT.fullmatch(self.revision))

    @property
    def reader(self):
        return importlib.import_module(f"medfr_eval.data.public_sources.{self.module}")

    def files_for(self, sets: set[str]) -> tuple[str, ...]:
        """Repo paths needed to produce ``sets`` (a subset of this source's sets)."""
        return tuple(self.reader.files_for(sets))

    def convert(
        self,
        files: dict[str, Path],
        sets: set[str],
        progress: Progress | None = None,
        tally: Tally | None = None,
    ) -> Iterator[Converted]:
        """Yield the records of ``sets`` read from the downloaded ``files`` (repo path -> local);
        what was skipped or is worth saying is counted in ``tally``."""
        return self.reader.convert(
            files, sets, progress or (lambda n: None), tally if tally is not None else Tally()
        )

    def progress_total(self, files: dict[str, Path], sets: set[str]) -> tuple[int | None, str]:
        """(total, unit) of the progress that :meth:`convert` reports."""
        return self.reader.progress_total(files, sets)

    @property
    def sets(self) -> tuple[str, ...]:
        return tuple(s.name for s in PUBLIC_SETS if s.public_source == self.key)


SOURCES: dict[str, PublicSource] = {
    "bioinstructqa": PublicSource(
        key="bioinstructqa",
        repo="BioMistral/BioInstructQA",
        revision="e8b529351e63e3060328ed50739a004537779eb4",
        license="Apache-2.0",
        title="BioMistral's French translation (GPT-3.5-turbo) of MedQA, MedMCQA, PubMedQA "
        "and six MMLU medical subjects, with the English originals",
        module="bioinstructqa",
        pin_note="commit e8b5293 appears in the Hub's history of BioInstructQA.py (its blame "
        "page), pinned here by its full sha",
    ),
    "frenchmedmcqa": PublicSource(
        key="frenchmedmcqa",
        repo="qanastek/frenchmedmcqa",
        # No commit of this branch could be confirmed from where medfr was written (the Hub
        # was out of reach and no public page shows one): the branch is asked for, and the
        # commit it points to is resolved with huggingface_hub and recorded at fetch time.
        revision="refs/convert/parquet",
        license="Apache-2.0",
        title="FrenchMedMCQA (Labrak et al.): French pharmacy exam MCQ, one or more answers",
        module="frenchmedmcqa",
        pin_note="unconfirmed: the main branch holds a loading script and the Hub's parquet "
        "conversion branch moves (the Hub no longer converts script repos), so no commit "
        "is pinned; the commit is resolved and recorded at fetch time",
    ),
    "mediqal": PublicSource(
        key="mediqal",
        repo="ANR-MALADES/MediQAl",
        revision="5af34948a74c7b8807c476204a21149ffb00ea2c",
        license="CC-BY-4.0",
        title="MediQAl: French medical exam questions (single-answer MCQ, multi-answer MCQ, "
        "open-ended)",
        module="mediqal",
        pin_note="commit 5af3494 is the dataset card's last commit on the Hub's README page; "
        "the full sha is the one a public third-party record pins",
    ),
}


def source_of(set_name: str) -> PublicSource | None:
    """The public source of a set, or None when it must be requested from the authors."""
    from medfr_eval.core.sets import get_set

    key = get_set(set_name).public_source
    return SOURCES[key] if key else None


def letters_from(value: Any, allowed: str, *, source: str, file: str, field: str) -> list[str]:
    """Answer letters from a list of labels (``a``-``e`` in any case) or a string such as
    ``"A,C"``; anything else stops with one line.

    A class index (an int) is refused: which letter an index means is said only by
    the ClassLabel names in the parquet's schema metadata, and
    :mod:`medfr_eval.data.public_sources.parquet_rows` has already mapped indices
    through them; an index that reaches here had no names to go by, and guessing
    ``"ABCDE"[i]`` is how a file whose names are stored in another order would
    get wrong gold answers without a word.
    """
    from medfr_eval.core.errors import DataError

    if isinstance(value, str):
        items: list[Any] = [p for p in value.replace(",", " ").replace(";", " ").split() if p]
    elif hasattr(value, "tolist"):
        items = list(value.tolist())
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise DataError(
            f"{source}: expected a list of answer letters, got {value!r}", file=file, field=field
        )
    out = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            raise DataError(
                f"{source}: answer {item!r} is a class index, and the file's schema metadata "
                "has no ClassLabel names to say which letter it means",
                file=file,
                field=field,
            )
        if not (isinstance(item, str) and item.strip().upper() in allowed):
            raise DataError(
                f"{source}: answer {item!r} is not one of {', '.join(allowed)}",
                file=file,
                field=field,
            )
        out.append(item.strip().upper())
    if not out or len(set(out)) != len(out):
        raise DataError(
            f"{source}: expected distinct answer letters, got {value!r}", file=file, field=field
        )
    return sorted(out)


__all__ = [
    "COMMIT",
    "SOURCES",
    "Converted",
    "Progress",
    "PublicSource",
    "Tally",
    "letters_from",
    "source_of",
]
