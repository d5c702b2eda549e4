"""Where each key and list item of a YAML file sits, so an error can name its line.

``yaml.safe_load`` returns plain dicts and lists with no positions. The study file's
errors must read ``study.yaml:42: models[3].hub_id: ...``, so the same text is also
composed into PyYAML's node tree (``yaml.compose`` with the safe loader: no object is
built, nothing runs) and every mapping key and sequence item is recorded with its
line. A key given twice in one mapping, which ``safe_load`` would silently resolve to
the last value, is refused here with both lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from medfr_eval.core.errors import MedfrError
from medfr_eval.core.fileio import read_text_utf8, read_yaml

KeyPath = tuple["str | int", ...]


def dotted(keypath: KeyPath) -> str:
    """``("models", 3, "hub_id")`` as ``models[3].hub_id``."""
    out = ""
    for part in keypath:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _walk(node: Any, prefix: KeyPath, lines: dict, path: Path, error: type[MedfrError]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            keypath = (*prefix, str(key.value))
            line = key.start_mark.line + 1
            if keypath in lines:
                raise error(
                    f"key given twice (first on line {lines[keypath]})",
                    file=path,
                    line=line,
                    field=dotted(keypath),
                )
            lines[keypath] = line
            _walk(value, keypath, lines, path, error)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*prefix, i)] = item.start_mark.line + 1
            _walk(item, (*prefix, i), lines, path, error)


def read_yaml_with_lines(
    path: str | Path, *, error: type[MedfrError]
) -> tuple[Any, dict[KeyPath, int]]:
    """The file's data (``yaml.safe_load``) and the line of every key path in it."""
    path = Path(path)
    data = read_yaml(path, error=error)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: faster
    root = yaml.compose(read_text_utf8(path, error=error), Loader=loader)
    lines: dict[KeyPath, int] = {}
    _walk(root, (), lines, path, error)
    return data, lines


def line_of(lines: dict[KeyPath, int], keypath: KeyPath) -> int | None:
    """The line of ``keypath``, else of its nearest parent that has one."""
    for cut in range(len(keypath), 0, -1):
        if keypath[:cut] in lines:
            return lines[keypath[:cut]]
    return None
