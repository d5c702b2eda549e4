"""Which models to compare: pairs files, the shipped presets, all pairs, one baseline.

A pairs file is YAML: ``pairs: [{model_a, model_b, id?, label?, group?, strategy?}]``;
decisions are read from ``model_a``'s side. The study's comparisons A-K ship as
the ``study`` preset (``presets/study.yaml`` beside this module).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from medfr_eval.core import strategies
from medfr_eval.core.errors import SignifError, refuse_unknown_keys
from medfr_eval.core.fileio import read_yaml

from .runs import Run, find_run

_PAIR_KEYS = {"id", "model_a", "model_b", "label", "group", "strategy"}
_PAIRS_FILE_KEYS = {"description", "pairs"}


@dataclass(frozen=True)
class Pair:
    """One comparison of two models: ``model_a`` is the side decisions are read from."""

    model_a: str
    model_b: str
    id: str | None = None
    label: str | None = None

    def title(self) -> str:
        """``[id. ]A vs B`` with the names whole (a name may hold ``/``: ``org/Model``)."""
        head = f"{self.id}. " if self.id else ""
        return f"{head}{self.model_a} vs {self.model_b}"


def presets_dir() -> Path:
    return Path(__file__).resolve().parent / "presets"


def preset_names() -> list[str]:
    return sorted(p.stem for p in presets_dir().glob("*.yaml"))


def _pairs_path(path_or_preset: str | Path) -> Path:
    path = Path(path_or_preset)
    if not path.is_file() and str(path_or_preset) in preset_names():
        path = presets_dir() / f"{path_or_preset}.yaml"
    if not path.is_file():
        raise SignifError(
            f"no such pairs file, and not a preset ({', '.join(preset_names())})",
            file=path,
            field="--pairs",
        )
    return path


def _pair(item: object, path: Path, where: str) -> Pair:
    if not isinstance(item, dict):
        raise SignifError("expected a mapping with model_a and model_b", file=path, field=where)
    refuse_unknown_keys(item, _PAIR_KEYS, error=SignifError, file=path, prefix=where)
    for key in ("model_a", "model_b"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise SignifError("expected a model name", file=path, field=f"{where}.{key}")
    if item["model_a"] == item["model_b"]:
        raise SignifError("a model compared with itself", file=path, field=where)
    if "strategy" in item and item["strategy"] not in strategies.BY_KEY:
        raise SignifError(
            f"expected one of {', '.join(strategies.KEYS)}", file=path, field=f"{where}.strategy"
        )
    ident, label = item.get("id"), item.get("label")
    return Pair(
        item["model_a"],
        item["model_b"],
        str(ident) if ident is not None else None,
        str(label) if label is not None else None,
    )


def load_pairs(path_or_preset: str | Path) -> list[Pair]:
    """Pairs from a YAML file, or from a shipped preset by name (``study``)."""
    path = _pairs_path(path_or_preset)
    data = read_yaml(path, error=SignifError)
    if not isinstance(data, dict):
        raise SignifError("expected a mapping with a 'pairs' list", file=path)
    refuse_unknown_keys(data, _PAIRS_FILE_KEYS, error=SignifError, file=path)
    items = data.get("pairs")
    if not isinstance(items, list) or not items:
        raise SignifError("expected a non-empty list", file=path, field="pairs")
    return [_pair(item, path, f"pairs[{i}]") for i, item in enumerate(items)]


def all_pairs(runs: Sequence[Run]) -> list[Pair]:
    """Every unordered pair, in the order the runs were given."""
    return [Pair(a.name, b.name) for i, a in enumerate(runs) for b in runs[i + 1 :]]


def baseline_pairs(runs: Sequence[Run], baseline: str) -> list[Pair]:
    """Every other model against ``baseline`` (decisions from the other model's side)."""
    base = find_run(baseline, runs, field="--baseline")
    return [Pair(r.name, base.name) for r in runs if r is not base]
