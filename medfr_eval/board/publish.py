"""What may leave the builder's disk: names without tricks, values without local paths.

The site is public; the files it is built from are not. lm-eval records a local
model as the path it was loaded from (``/home/me/models/tiny-cpt``), and a run card
holds its recipe's paths (output folder, data files). Such a path says where a
model sits on someone's disk, not what it is, so the site shows its last folder
name instead. Names also lose bidirectional controls (U+202E makes ``abc`` read
``cba``: a name could pose as another) and C0 control characters.

Why here and not in a shared module: ``medfr_eval.textsafe`` (h-signif2) is meant
to hold the same guards for medfr-signif; until it is on main the board keeps its
own copy, and the integrator may point these names at it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from medfr_eval.errors import DataError

_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
# An absolute POSIX path, ./ ../ ~, or a Windows drive: never a hub id.
_LOCAL = re.compile(r"^(/|\.{1,2}[/\\]|~|[A-Za-z]:[/\\])")
#: Folders a multi-stage recipe saves its stages in; the model is the folder above.
STAGE_FOLDERS = ("cpt", "sft")


def strip_bidi(text: str) -> str:
    """``text`` without bidirectional controls and C0 controls other than tab/newline."""
    return _CONTROL.sub("", _BIDI.sub("", text))


def clean_name(text: str) -> str:
    """A name fit for display: no bidi or control characters, no outer spaces."""
    return strip_bidi(text).strip()


def is_local_path(text: str) -> bool:
    """A string that is a path on disk rather than a hub id (``org/model``) or a word."""
    return bool(_LOCAL.match(text)) or text.count("/") > 1 or "\\" in text


def public_model_id(name: str) -> str:
    """A model name to publish: a hub id whole, a local path by its model folder's name."""
    name = clean_name(name)
    if not is_local_path(name):
        return name
    parts = [p for p in re.split(r"[/\\]+", name) if p and p not in (".", "..", "~")]
    if not parts:
        return "local model"
    if len(parts) > 1 and parts[-1] in STAGE_FOLDERS:
        return parts[-2]
    return parts[-1]


def scrub(value: Any) -> Any:
    """``value`` (a run card's recipe, a stage record) with every local path cut to its last part.

    Strings embedded in longer text are left alone unless the whole string is a
    path: a recipe's values are single settings, not prose."""
    if isinstance(value, str):
        return public_model_id(value) if is_local_path(value) else strip_bidi(value)
    if isinstance(value, dict):
        return {strip_bidi(str(k)): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def require_finite(data: Any, path: Path, where: str = "") -> None:
    """Refuse NaN and infinities anywhere in ``data``: one line naming the file and field.

    Python's JSON parser accepts ``NaN`` and ``Infinity``; a page would show
    "nan - inf" and the strict JSON the site embeds could not be written."""
    if isinstance(data, float) and not math.isfinite(data):
        raise DataError(f"expected a finite number, got {data!r}", file=path, field=where or None)
    if isinstance(data, dict):
        for k, v in data.items():
            require_finite(v, path, f"{where}.{k}" if where else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            require_finite(v, path, f"{where}[{i}]")


def inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (symlinks resolved) lies in ``root``."""
    try:
        return Path(path).resolve().is_relative_to(Path(root).resolve())
    except OSError:
        return False
