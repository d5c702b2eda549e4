"""The public copies of medfr's sets: one module per source, one table here.

Each source module knows one Hugging Face dataset repo at a pinned revision:
which files to download (plain ``hf_hub_download``: no dataset script, no
``trust_remote_code``), how their records are laid out, and how they map onto
our JSONL schema. Every record is checked on the way: a file that does not look
as documented (SOURCES.md) stops with one line naming the source, the file and
the field. The conversion itself (downloading, temp folder, manifest) is
:mod:`medfr_eval.fetch`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from medfr_eval.sets import PUBLIC_SETS


class Progress(Protocol):
    def __call__(self, n_bytes: int) -> None: ...


# (set name, record in our schema, where: a label for errors such as "data.zip:…json[12]")
Converted = tuple[str, dict[str, Any], str]


@dataclass(frozen=True)
class PublicSource:
    """A Hub dataset repo at a pinned revision and the files medfr reads from it."""

    key: str
    repo: str
    revision: str
    license: str
    title: str  # said to users (README, manifest, errors)
    module: str  # the reader, medfr_eval.public_sources.<module>

    @property
    def reader(self):
        return importlib.import_module(f"medfr_eval.public_sources.{self.module}")

    def files_for(self, sets: set[str]) -> tuple[str, ...]:
        """Repo paths needed to produce ``sets`` (a subset of this source's sets)."""
        return tuple(self.reader.files_for(sets))

    def convert(
        self, files: dict[str, Path], sets: set[str], progress: Progress | None = None
    ) -> Iterator[Converted]:
        """Yield the records of ``sets`` read from the downloaded ``files`` (repo path -> local)."""
        return self.reader.convert(files, sets, progress or (lambda n: None))

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
    ),
    "frenchmedmcqa": PublicSource(
        key="frenchmedmcqa",
        repo="qanastek/frenchmedmcqa",
        revision="refs/convert/parquet",
        license="Apache-2.0",
        title="FrenchMedMCQA (Labrak et al.): French pharmacy exam MCQ, one or more answers",
        module="frenchmedmcqa",
    ),
    "mediqal": PublicSource(
        key="mediqal",
        repo="ANR-MALADES/MediQAl",
        revision="refs/convert/parquet",
        license="CC-BY-4.0",
        title="MediQAl: French medical exam questions (single-answer MCQ, multi-answer MCQ, "
        "open-ended)",
        module="mediqal",
    ),
}


def source_of(set_name: str) -> PublicSource | None:
    """The public source of a set, or None when it must be requested from the authors."""
    from medfr_eval.sets import get_set

    key = get_set(set_name).public_source
    return SOURCES[key] if key else None


def letters_from(value: Any, allowed: str, *, source: str, file: str, field: str) -> list[str]:
    """Answer letters from a list of labels (``a``-``e`` in any case, or class indices 0-4)
    or a string such as ``"A, C"``; anything else stops with one line.

    The Hub's parquet conversion stores a ``ClassLabel`` as its index and a plain
    string list as the strings, and the cards do not say which: both are read.
    """
    from medfr_eval.errors import DataError

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
        if isinstance(item, bool):
            letter = None
        elif isinstance(item, int):
            letter = allowed[item] if 0 <= item < len(allowed) else None
        elif isinstance(item, str) and item.strip().upper() in allowed:
            letter = item.strip().upper()
        else:
            letter = None
        if letter is None:
            raise DataError(
                f"{source}: answer {item!r} is not one of {', '.join(allowed)} "
                f"(or an index 0-{len(allowed) - 1})",
                file=file,
                field=field,
            )
        out.append(letter)
    if not out or len(set(out)) != len(out):
        raise DataError(
            f"{source}: expected distinct answer letters, got {value!r}", file=file, field=field
        )
    return sorted(out)


__all__ = ["SOURCES", "Converted", "Progress", "PublicSource", "letters_from", "source_of"]
