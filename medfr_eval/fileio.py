"""Small file helpers every command shares: atomic writes and YAML reading with clear errors.

Every output of medfr (JSONL sets, run cards, reports, site data, SLURM
scripts) is written to a temp file in the same folder and renamed into place,
so a crash or a bad input never leaves a half-written file behind. YAML is read
with ``yaml.safe_load`` only, and a syntax error names the file and line.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from medfr_eval.errors import DataError, MedfrError


def write_text_atomic(path: str | Path, text: str, *, mode: int | None = None) -> Path:
    """Write ``text`` to ``path`` through a temp file and ``os.replace``; creates the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(
    path: str | Path, data: Any, *, sort_keys: bool = False, default: Any = None
) -> Path:
    """Indented UTF-8 JSON, written atomically."""
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=sort_keys, default=default)
    return write_text_atomic(path, text + "\n")


def read_yaml(path: str | Path, *, error: type[MedfrError] = DataError) -> Any:
    """``yaml.safe_load`` of a file; a missing file or a syntax error raises ``error`` naming file and line.

    ``error`` is the caller's member of the MedfrError family (``RecipeError`` for
    recipes), so the message says which kind of input was bad."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error("file not found", file=path) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error(
            f"not valid YAML ({getattr(exc, 'problem', None) or exc})",
            file=path,
            line=mark.line + 1 if mark is not None else None,
        ) from None


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks: data cards, manifests and the demo's
    markers record the files they used this way, whatever their size."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
