"""What may leave the builder's disk: names without tricks, values without local paths.

The site is public; the files it is built from are not. lm-eval records a local
model as the path it was loaded from (``/home/me/models/tiny-cpt``), and a run card
holds its recipe's paths (output folder, data files). Such a path says where a
model sits on someone's disk, not what it is, so the site shows its last folder
name instead. Names also lose bidirectional controls (U+202E makes ``abc`` read
``cba``: a name could pose as another) and C0 control characters.

The guards are the ones medfr-signif uses: :mod:`medfr_eval.textsafe` (bidi and
control characters) and the reader's naming rule
(:func:`medfr_eval.lmeval_output.display_name`); this module re-exports them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from medfr_eval.lmeval_output.naming import STAGE_FOLDERS, display_name, is_local_path
from medfr_eval.textsafe import clean_name, strip_bidi

__all__ = [
    "STAGE_FOLDERS", "clean_name", "cut_paths", "is_local_path", "public_model_id", "scrub",
    "strip_bidi",
]  # fmt: skip


def public_model_id(name: str) -> str:
    """A model name to publish: a hub id whole, a local path by its model folder's name
    (the reader's one naming rule, without a run card)."""
    return display_name(name)


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


# A file path inside prose: absolute (/x, ~/x, C:\\x), relative (./x, ../x), or any
# slashed token naming a JSON/JSONL/YAML file (a log a tool read). "org/Model" (a hub
# id) and "alpha/m" are left alone.
_PATH_IN_TEXT = re.compile(
    r"(?<![\w.])(?:(?:~|[A-Za-z]:|\.{1,2})?[/\\][^\s'\",;()]+"
    r"|[^\s'\",;()/\\]+(?:[/\\][^\s'\",;()/\\]+)+\.(?:jsonl?|ya?ml))"
)


def cut_paths(text: str) -> str:
    """Prose (a warning message) with every file path cut to its last part."""

    def last(m: re.Match) -> str:
        path = m.group(0)
        tail = path.rstrip(":.")
        return re.split(r"[/\\]", tail.rstrip("/\\"))[-1] + path[len(tail) :]

    return _PATH_IN_TEXT.sub(last, strip_bidi(text))


def inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (symlinks resolved) lies in ``root``."""
    try:
        return Path(path).resolve().is_relative_to(Path(root).resolve())
    except OSError:
        return False
