"""A stage's starting model given as a local path that does not exist: say who makes it.

Why: transformers takes a missing folder for a Hub id and fails after a long
traceback (``Repo id must be in the form 'repo_name' or 'namespace/repo_name'``);
the demo's recipes start from the output of another recipe. A name that can
only be a path (absolute, ``./``, ``~``, or more than one ``/``: Hub ids have
at most one) and is not there is refused with the recipe that writes that
folder and the command to run first, or the recipe's own ``Needs:`` line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from medfr_eval.cli import command_path


def looks_like_path(name: str) -> bool:
    """Can ``name`` only be a local path (never a Hub id ``namespace/name``)?"""
    return (
        name.startswith(("/", "./", "../", "~"))
        or name.count("/") >= 2
        or "\\" in name
        or name.endswith("/")
    )


def _outputs(raw: Any) -> list[str]:
    """The output folders a recipe writes, read from its YAML without building it."""
    if not isinstance(raw, dict):
        return []
    top = raw.get("output_dir")
    stages = raw.get("stages") if isinstance(raw.get("stages"), dict) else {}
    out = [str(top)] if top and not stages else []
    for name, keys in stages.items():
        own = keys.get("output_dir") if isinstance(keys, dict) else None
        if own:
            out.append(str(own))
        elif top:
            out.append(str(Path(str(top)) / str(name)))
    return out


def _candidates(recipe_path: Path) -> list[Path]:
    from medfr_eval.core.resources import recipes_dir

    near = sorted(recipe_path.parent.glob("*.yaml"))
    shipped = sorted(
        p
        for p in recipes_dir().rglob("*.yaml")
        if "accelerate_configs" not in p.parts and p not in near
    )
    return [p for p in (*near, *shipped) if p.resolve() != recipe_path.resolve()]


def maker_of(folder: str, recipe_path: Path) -> Path | None:
    """The recipe (beside this one, or shipped) whose output is ``folder``, if any."""
    want = Path(folder).expanduser().resolve()
    for path in _candidates(recipe_path):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # another recipe's problem, reported when that one runs
        if any(Path(o).expanduser().resolve() == want for o in _outputs(raw)):
            return path
    return None


def needs_line(recipe_path: Path) -> str | None:
    """The ``# Needs:`` comment of a recipe's header, joined on one line."""
    try:
        lines = recipe_path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    found: list[str] = []
    for line in lines:
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if text.startswith("Needs:"):
            found = [text]
        elif found and line.startswith("#   ") and not text.startswith(("Run:", "Check:")):
            found.append(text)
        elif found:
            break
    return " ".join(found) or None


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when it is below it (a command to copy)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if rel.startswith("..") else rel


def missing_model_message(model: str, recipe_path: Path) -> str | None:
    """Why a stage cannot start from ``model``, or None when it can (or may be a Hub id)."""
    if not looks_like_path(model) or Path(model).expanduser().exists():
        return None
    maker = maker_of(model, recipe_path)
    if maker is not None:
        return (
            f"{model}: no such model folder; {_shown(maker)} makes it: "
            f"run first: {command_path('train', 'recipe')} {_shown(maker)}"
        )
    needs = needs_line(recipe_path)
    hint = f" (this recipe's {needs})" if needs else ""
    return f"{model}: no such model folder; give a local model folder or a Hub id{hint}"
