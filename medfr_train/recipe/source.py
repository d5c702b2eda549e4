"""Where each recipe value comes from: the YAML file (with its lines) or the command line.

TrlParser's errors name a key but not the file nor the line. Every value here
keeps its origin, a key path such as ``("stages", "sft", "learning_rate")`` or
``("--learning_rate",)`` for a command-line override, so that an error points
at ``recipe.yaml:12: stages.sft.learning_rate`` or ``command line: --learning_rate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from medfr_eval.core.fileio import read_text_utf8, read_yaml
from medfr_train.errors import RecipeError

COMMAND_LINE = "command line"


@dataclass
class RecipeSource:
    """A recipe file read as YAML, with the line of every key."""

    path: Path
    raw: dict[str, Any]
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)

    @classmethod
    def read(cls, path: str | Path) -> RecipeSource:
        path = Path(path)
        if not path.is_file():
            raise RecipeError("file not found", file=path, field="recipe")
        raw = read_yaml(path, error=RecipeError)
        if not isinstance(raw, dict):
            raise RecipeError("must be a YAML mapping of keys to values", file=path, field="recipe")
        return cls(path, raw, key_lines(read_text_utf8(path, error=RecipeError)))

    def error(self, keypath: tuple[str, ...], message: str) -> RecipeError:
        """An error at ``keypath``: a recipe key (file and line) or a ``--key`` override."""
        if keypath and keypath[0].startswith("--"):
            return RecipeError(message, file=COMMAND_LINE, field=keypath[0])
        return RecipeError(
            message, file=self.path, line=self.lines.get(keypath), field=".".join(keypath)
        )


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line (1-based) of every mapping key in the YAML, by its path (from the node marks)."""
    lines: dict[tuple[str, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines

    def walk(node: Any, prefix: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    path = (*prefix, str(k.value))
                    lines[path] = k.start_mark.line + 1
                    walk(v, path)

    walk(root, ())
    return lines


Override = tuple[tuple[str, ...], "str | list[str] | bool"]


def parse_overrides(tokens: list[str] | None) -> list[Override]:
    """``--key value``, ``--key=value``, ``--key v1 v2``, ``--stage.sft.key value``, ``--run_card.key value``.

    Values stay strings: TRL's parser converts them with the field's type, as
    for any TRL script. A flag with no value means ``true`` (TRL's boolean flags).
    """
    out: list[Override] = []
    items = list(tokens or [])
    i = 0
    while i < len(items):
        tok = items[i]
        if not tok.startswith("--") or len(tok) < 3:
            raise RecipeError(
                "expected --key value (TrlParser style)", file=COMMAND_LINE, field=tok
            )
        key = tok[2:]
        values: list[str] = []
        if "=" in key:
            key, value = key.split("=", 1)
            values = [value]
            i += 1
        else:
            i += 1
            while i < len(items) and not items[i].startswith("--"):
                values.append(items[i])
                i += 1
        path = tuple(part.replace("-", "_") for part in key.split("."))
        if path[0] == "stage":
            if len(path) != 3:
                raise RecipeError(
                    "expected --stage.<cpt|sft>.<key> value", file=COMMAND_LINE, field=tok
                )
            path = ("stages", path[1], path[2])
        value: str | list[str] | bool = True if not values else values[0]
        if len(values) > 1:
            value = values
        out.append((path, value))
    return out
