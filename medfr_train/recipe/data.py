"""A stage's data: where it is (files or a hub data set) and a first look before training.

A missing, empty or malformed data file is refused while the recipe is
checked, before any model is loaded, naming the recipe key that points to it.
"""

from __future__ import annotations

import glob
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medfr_train.errors import RecipeError, SFTDataError

Err = Callable[[str], RecipeError]


@dataclass
class DataSpec:
    """Where a stage's data comes from (resolved paths)."""

    files: list[Path] = field(default_factory=list)
    dataset_name: str | None = None
    dataset_config: str | None = None
    split: str = "train"
    column_mapping: dict[str, str] | None = None
    text_column: str = "text"
    eval_files: list[Path] = field(default_factory=list)


def resolve_files(entries: list[str], base: Path) -> tuple[list[Path], list[str]]:
    """Expand globs relative to the recipe's folder, the shipped recipes folder, then the cwd.

    Returns the files found and the entries that matched nothing. The last root
    serves the study recipes, whose data (NACHOS, prepared with ``medfr-train
    prepare-corpus``) the user keeps in their working directory.
    """
    roots = [base]
    try:
        from medfr_eval.core.resources import recipes_dir

        roots.append(recipes_dir())
    except FileNotFoundError:  # pragma: no cover - incomplete install
        pass
    roots.append(Path.cwd())
    found: list[Path] = []
    missing: list[str] = []
    for entry in entries:
        p = Path(entry).expanduser()
        hits: list[str] = []
        for root in [Path("/")] if p.is_absolute() else roots:
            hits = sorted(glob.glob(str(root / p)))
            if hits:
                break
        if not hits:
            missing.append(entry)
        found.extend(Path(h).resolve() for h in hits)
    return found, missing


def build_data_spec(
    stage: str,
    values: dict[str, Any],
    base: Path,
    check_data: bool,
    err: Callable[[str, str], RecipeError],
) -> DataSpec:
    """The stage's ``DataSpec``; with ``check_data``, every local file is found and looked at.

    ``err(key, message)`` builds the error for a recipe key. Resolved paths are
    written back into ``values`` (they are what the run card records).
    """
    data = DataSpec(
        dataset_name=values.get("dataset_name"),
        dataset_config=values.get("dataset_config"),
        split=values.get("dataset_split") or "train",
        column_mapping=values.get("column_mapping"),
        text_column=values.get("text_column") or "text",
    )
    files = values.get("dataset_files")
    if files and data.dataset_name:
        raise err("dataset_files", "give dataset_files or dataset_name, not both")
    if not files and not data.dataset_name:
        raise err("dataset_files", "missing: give dataset_files (local) or dataset_name (hub)")
    if not check_data:
        return data
    for key, target in (("dataset_files", "files"), ("eval_dataset_files", "eval_files")):
        entries = values.get(key)
        if not entries:
            continue
        resolved, missing = resolve_files(entries, base)
        if missing:
            raise err(key, f"no file matches {missing} (paths are relative to {base})")
        for p in resolved:
            check_data_file(p, stage, data, lambda message, key=key: err(key, message))
        setattr(data, target, resolved)
        values[key] = [str(p) for p in resolved]
    return data


def _has_text(p: Path, err: Err) -> bool:
    """Does the file hold any non-blank text? Reads it all, streaming, as UTF-8.

    Why all of it: bytes that are not UTF-8 deep in a corpus would otherwise
    stop the run with a traceback after the model has loaded."""
    from medfr_eval.core.fileio import iter_lines_utf8
    from medfr_train.errors import CorpusError

    found = False
    try:
        for _, text in iter_lines_utf8(p, error=CorpusError):
            found = found or bool(text.strip())
    except CorpusError as exc:
        raise err(exc.format()) from None
    return found


def check_data_file(p: Path, stage: str, data: DataSpec, err: Err) -> None:
    """Refuse an empty or unreadable data file before any training work."""
    if not p.is_file():
        raise err(f"{p}: not a file")
    suffix = "".join(p.suffixes[-1:]).lower()
    allowed = {".txt", ".jsonl", ".json", ".parquet"} if stage == "cpt" else {".jsonl"}
    if data.dataset_name is None and data.column_mapping is not None and stage == "sft":
        allowed = {".jsonl", ".json", ".parquet"}
    if suffix not in allowed:
        raise err(f"{p}: unsupported file type {suffix!r}; expected one of {sorted(allowed)}")
    if suffix == ".parquet":
        if p.stat().st_size == 0:
            raise err(f"{p}: empty file")
        return
    if not _has_text(p, err):
        raise err(f"{p}: empty corpus (no text)")
    if stage == "sft" and suffix == ".jsonl" and data.column_mapping is None:
        from medfr_train.sft_data import validate_file

        try:
            validate_file(p)
        except SFTDataError as e:
            raise err(str(e)) from None
