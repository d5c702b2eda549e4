"""Read what the board is built from: lm-eval result folders, run cards, signif JSON, entries.

lm-eval's output folders are read by :mod:`medfr_eval.lmeval_output`, the reader
``medfr-signif`` uses too, so the board and significance accept the same
folders; this module adds the run card found beside the results (or in the
trained model's folder) and the board's own files. No torch, no lm-eval import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from medfr_eval.core import strategies
from medfr_eval.core.errors import DataError, refuse_unknown_keys
from medfr_eval.core.fileio import read_yaml
from medfr_eval.core.textsafe import strip_bidi
from medfr_eval.lmeval_output import RunOutput, find_model_folders, read_json_object
from medfr_eval.lmeval_output import read_run as read_model_folder


def read_json(path: Path, what: str) -> dict:
    """A JSON object; every failure is one DataError naming the file (and line)."""
    return read_json_object(path, what)


def _need(obj: Any, key: str, kind: type | tuple[type, ...], path: Path, where: str = "") -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise DataError("missing", file=path, field=f"{where}{key}")
    value = obj[key]
    if not isinstance(value, kind):
        raise DataError(
            f"expected {getattr(kind, '__name__', kind)}, got {type(value).__name__}",
            file=path,
            field=f"{where}{key}",
        )
    return value


@dataclass
class Run(RunOutput):
    """One model's lm-eval output and its run card, both read by the shared reader."""


def read_run(folder: Path) -> Run:
    """One lm-eval model folder with its sample logs, and its run card if there is one."""
    return Run(**vars(read_model_folder(folder)))


def read_runs(roots: list[Path]) -> list[Run]:
    """Every model found under the given folders; one model may appear only once."""
    runs: list[Run] = []
    seen: dict[str, Path] = {}
    folders = [f for root in roots for f in find_model_folders(Path(root))]
    for folder in tqdm(folders, desc="reading runs", unit="run", disable=None):
        run = read_run(folder)
        if run.model_name in seen:
            raise DataError(
                f"model {run.model_name!r} also found in {seen[run.model_name]}",
                file=folder,
                field="model_name",
            )
        seen[run.model_name] = folder
        runs.append(run)
    return runs


# --- curated entries -------------------------------------------------------------------

ENTRY_KEYS = {"model", "name", "base_model", "strategy", "links", "notes"}
_WEB_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]+$")


@dataclass
class Entry:
    """Curated facts about one model, written by the board's maintainers."""

    model: str
    name: str | None = None
    base_model: str | None = None
    strategy: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)
    notes: str | None = None
    path: Path | None = None


def read_entry(path: Path) -> Entry:
    """One ``entries/<slug>.yaml``; unknown keys, bad strategies and non-http links refused."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise DataError("expected a mapping", file=path)
    refuse_unknown_keys(data, ENTRY_KEYS, file=path)
    model = _need(data, "model", str, path)
    for key in ("name", "base_model", "strategy", "notes"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise DataError("expected a string", file=path, field=key)
    if data.get("strategy") is not None and data["strategy"] not in strategies.BY_KEY:
        raise DataError(
            f"expected one of {', '.join(strategies.KEYS)}", file=path, field="strategy"
        )
    links = []
    raw_links = data.get("links") or {}
    if not isinstance(raw_links, dict):
        raise DataError("expected a mapping title -> URL", file=path, field="links")
    for title, url in raw_links.items():
        # Only web links: a javascript: or data: URL in an href would run in visitors'
        # browsers, and spaces, control or bidi characters let a link read as another.
        if not isinstance(url, str) or not _WEB_URL.match(url):
            raise DataError(
                "links must be http(s) URLs without spaces or control characters",
                file=path,
                field=f"links.{title}",
            )
        links.append((strip_bidi(str(title)), url))
    return Entry(
        model=model,
        name=data.get("name"),
        base_model=data.get("base_model"),
        strategy=data.get("strategy"),
        links=links,
        notes=strip_bidi(data["notes"]) if data.get("notes") else None,
        path=path,
    )


def read_entries(folder: Path | None) -> dict[str, Entry]:
    """Entries keyed by the lm-eval model name they describe."""
    out: dict[str, Entry] = {}
    if folder is None or not Path(folder).is_dir():
        return out
    for path in sorted(Path(folder).glob("*.yaml")):
        entry = read_entry(path)
        if entry.model in out:
            raise DataError(
                f"model {entry.model!r} already described by {out[entry.model].path}",
                file=path,
                field="model",
            )
        out[entry.model] = entry
    return out


# --- medfr-signif output ---------------------------------------------------------------


def read_signif(path: Path) -> dict:
    """``signif.json`` as documented in DEVELOPERS.md; checked enough to fail clearly."""
    data = read_json(path, "signif JSON")
    if data.get("medfr_signif_version") != 1:
        raise DataError(
            f"unsupported version {data.get('medfr_signif_version')!r}, expected 1",
            file=path,
            field="medfr_signif_version",
        )
    for key in ("comparisons", "win_rates", "scores"):
        items = data.get(key, [])
        if not isinstance(items, list):
            raise DataError("expected a list", file=path, field=key)
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise DataError("expected an object", file=path, field=f"{key}[{i}]")
    for i, c in enumerate(data.get("comparisons", [])):
        for key in ("model_a", "model_b", "task", "decision"):
            _need(c, key, str, path, f"comparisons[{i}].")
        if c["decision"] not in ("win", "tie", "loss"):
            raise DataError(
                "expected win, tie or loss", file=path, field=f"comparisons[{i}].decision"
            )
    for i, s in enumerate(data.get("scores", [])):
        for key in ("model", "task"):
            _need(s, key, str, path, f"scores[{i}].")
        for key in ("ci_low", "ci_high"):
            _need(s, key, (int, float), path, f"scores[{i}].")
    for i, w in enumerate(data.get("win_rates", [])):
        for key in ("model_a", "model_b", "family"):
            _need(w, key, str, path, f"win_rates[{i}].")
        for key in ("win", "tie", "loss"):
            _need(w, key, (int, float), path, f"win_rates[{i}].")
    return data
