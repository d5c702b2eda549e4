"""Reading a study file: find it, apply command-line overrides, build and check it whole.

Kept apart from :mod:`medfr_eval.study.spec` (what a study is) and
:mod:`medfr_eval.study.schema` (the rules its keys follow): reading needs both,
and each of those stays importable without the other.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from medfr_eval.core.errors import StudyError
from medfr_eval.core.resources import studies_dir

from .schema import Source, build_study
from .spec import COMMAND_LINE, Study
from .yamlpos import KeyPath, read_yaml_with_lines


def find_study_file(name_or_path: str | Path) -> Path:
    """A study file by path, or a shipped study by name (``belmadani2025``)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = studies_dir() / f"{name_or_path}.yaml"
    if not path.suffix and shipped.is_file():
        return shipped
    names = ", ".join(sorted(p.stem for p in studies_dir().glob("*.yaml")))
    raise StudyError(f"no such study file, and not a shipped study ({names})", file=path)


def _override(raw: dict, text: str, overridden: set[KeyPath]) -> None:
    """Apply one ``--set a.b.c=VALUE`` (the value read as a YAML scalar or list)."""
    key, sep, value = text.partition("=")
    parts = tuple(p for p in key.strip().split(".") if p)
    if not sep or not parts:
        raise StudyError(f"expected KEY=VALUE, got {text!r}", file=COMMAND_LINE, field="--set")
    if parts[0] == "models":
        raise StudyError(
            "models are set in the file; give a model's folder with --model-path NAME=PATH",
            file=COMMAND_LINE,
            field=f"--set {key}",
        )
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError as exc:
        raise StudyError(
            f"not a YAML value: {exc}", file=COMMAND_LINE, field=f"--set {key}"
        ) from None
    node = raw
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise StudyError(
                f"{'.'.join(parts[: i + 1])} is not a mapping",
                file=COMMAND_LINE,
                field=f"--set {key}",
            )
        node = child
    node[parts[-1]] = parsed
    overridden.add(parts)


def load_study(
    name_or_path: str | Path,
    *,
    overrides: tuple[str, ...] | list[str] = (),
    model_paths: dict[str, str] | None = None,
) -> Study:
    """Read and check a study file whole (module docstring); nothing is loaded or run."""
    path = find_study_file(name_or_path).resolve()
    raw, lines = read_yaml_with_lines(path, error=StudyError)
    if not isinstance(raw, dict):
        raise StudyError("expected a mapping of keys (medfr_study, name, models, ...)", file=path)
    overridden: set[KeyPath] = set()
    for text in overrides:
        _override(raw, text, overridden)
    src = Source(path, lines, overridden)
    study = build_study(raw, src, dict(model_paths or {}))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Study(**{**vars(study), "sha256": digest, "overrides": tuple(overrides),
                    "model_paths": tuple(sorted((model_paths or {}).items()))})  # fmt: skip
