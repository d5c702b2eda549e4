"""What may leave the builder's disk: names without tricks, values without local paths.

The site is public; the files it is built from are not. lm-eval records a local
model as the path it was loaded from (``/home/me/models/tiny-cpt``), and a run card
holds its recipe's paths (output folder, data files). Such a path says where a
model sits on someone's disk, not what it is, so the site shows its last folder
name instead. Names also lose bidirectional controls (U+202E makes ``abc`` read
``cba``: a name could pose as another) and C0 control characters.

The guards are the ones medfr-signif uses: :mod:`medfr_eval.core.textsafe` (bidi and
control characters) and the reader's naming rule
(:func:`medfr_eval.lmeval_output.display_name`); this module re-exports them.

Secrets never leave: a field whose key names a credential (``hub_token``,
``api_key``, ``password``...) and holds a value other than ``"<redacted>"`` makes
the board refuse the run (:func:`refuse_secrets`), naming the file and field.
Refusing rather than blanking the value: a secret in a run card means the card was
written by something that does not redact (``medfr train`` records ``<redacted>``),
and its owner must learn that the token sits in a file they may share elsewhere, and
revoke it; a silently cleaned page would hide that.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from medfr_eval.core.errors import DataError

# One rule for every writer and for the board: what a run card refuses to record is
# what the site refuses to publish.
from medfr_eval.core.secret_keys import REDACTED, is_secret_key
from medfr_eval.core.textsafe import clean_name, strip_bidi
from medfr_eval.lmeval_output.naming import STAGE_FOLDERS, display_name, is_local_path

__all__ = [
    "REDACTED", "STAGE_FOLDERS", "clean_name", "cut_paths", "is_local_path", "is_secret_key",
    "public_model_id", "refuse_secrets", "scrub", "secret_fields", "strip_bidi",
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


# --- secrets ---------------------------------------------------------------------------


def _holds_secret(value: Any) -> bool:
    """A value under a secret key that is not a placeholder: any non-empty string in it."""
    if isinstance(value, str):
        return value.strip() not in ("", REDACTED)
    if isinstance(value, dict):
        return any(_holds_secret(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_secret(v) for v in value)
    return False  # numbers, booleans and null carry no credential


def secret_fields(value: Any, prefix: str = "") -> list[str]:
    """Dotted paths (``recipe.stages.cpt.hub_token``) of every secret-bearing field in ``value``."""
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            path = f"{prefix}{k}"
            if is_secret_key(str(k)) and _holds_secret(v):
                found.append(path)
            else:
                found += secret_fields(v, path + ".")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            found += secret_fields(v, f"{prefix.removesuffix('.')}[{i}].")
    return found


def model_args_fields(model_args: Any) -> dict[str, Any]:
    """lm-eval's ``model_args`` (``"pretrained=x,token=y"`` or a mapping) as a mapping."""
    if isinstance(model_args, dict):
        return model_args
    if isinstance(model_args, str):
        pairs = (part.partition("=") for part in model_args.split(","))
        return {k.strip(): v for k, sep, v in pairs if sep}
    return {}


def refuse_secrets(data: Any, *, file: Path, prefix: str = "") -> None:
    """Raise one DataError naming ``file`` and the first secret-bearing field of ``data``."""
    found = secret_fields(data, prefix)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise DataError(
            f"holds a secret{more}; the board never publishes credentials: remove the "
            f"field or record {REDACTED!r} (and revoke the secret if the file was shared)",
            file=file,
            field=found[0],
        )
