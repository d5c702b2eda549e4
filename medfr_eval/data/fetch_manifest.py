"""A fetched folder: where medfr's cache keeps it, its MANIFEST.json read strictly, and
the rule of which files fetch may replace.

The manifest vouches for the files fetch wrote: per set, its file and sha256.
A file is fetch's own only when its bytes still have that sha256 (a file
someone edited or replaced with their own copy is the user's, and is kept).
Moving new files into a folder that already holds some takes several renames,
so a fetch first records the hashes of the files it is about to move in as
``pending``, then moves them, then writes the final manifest: a fetch killed
in between leaves files that are still recognised as its own, and the next
fetch goes on.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medfr_eval.cli import command_path
from medfr_eval.core.errors import DataError
from medfr_eval.core.fileio import read_text_utf8, sha256_file

if TYPE_CHECKING:  # pragma: no cover
    from medfr_eval.data.public_sources import PublicSource

MANIFEST = "MANIFEST.json"
MANIFEST_VERSION = 1


def cache_root() -> Path:
    """Where converted public sets are kept between runs."""
    value = os.environ.get("MEDFR_CACHE")
    if value:
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(base).expanduser() / "medfr"


def cached_folder(source: PublicSource) -> Path:
    revision = source.revision.replace("/", "_")
    return cache_root() / "public" / f"{source.key}-{revision}"


def _mapping_of_mappings(data: dict, key: str, path: Path) -> None:
    value = data.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        got = type(value).__name__ if not isinstance(value, dict) else "a mapping of non-mappings"
        raise DataError(f"expected a mapping of name -> entry, got {got}", file=path, field=key)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's manifest, checked; None when there is none. Bad bytes, bad JSON, a
    folder in its place or a shape that is not medfr's stop with one line."""
    path = Path(folder) / MANIFEST
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_dir():
        raise DataError("is a folder, not medfr's manifest; move it away", file=path)
    text = read_text_utf8(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON: {exc.msg}", file=path, line=exc.lineno) from None
    except RecursionError:
        raise DataError("not valid JSON: nested too deeply", file=path) from None
    if not isinstance(data, dict) or data.get("medfr_manifest") != MANIFEST_VERSION:
        raise DataError(f"not a medfr manifest (version {MANIFEST_VERSION})", file=path)
    for key in ("sets", "sources"):
        _mapping_of_mappings(data, key, path)
    pending = data.get("pending", {})
    if not isinstance(pending, dict) or not all(isinstance(v, str) for v in pending.values()):
        raise DataError("expected a mapping of set -> sha256", file=path, field="pending")
    return data


def owned_hashes(manifest: dict[str, Any] | None, name: str) -> set[str]:
    """The sha256 values that make ``<name>.jsonl`` a file fetch wrote."""
    if not manifest:
        return set()
    out = set()
    entry = manifest.get("sets", {}).get(name)
    if isinstance(entry, dict) and isinstance(entry.get("sha256"), str):
        out.add(entry["sha256"])
    pending = manifest.get("pending", {}).get(name)
    if isinstance(pending, str):
        out.add(pending)
    return out


def check_replaceable(out: Path, names: list[str], manifest: dict[str, Any] | None) -> None:
    """Refuse, before anything moves, to replace a file fetch did not write, or a folder."""
    for name in names:
        path = out / f"{name}.jsonl"
        if path.is_dir():
            raise DataError("is a folder; move it away or fetch into another folder", file=path)
        if not (path.exists() or path.is_symlink()):
            continue
        hashes = owned_hashes(manifest, name)
        if not hashes:
            raise DataError(
                f"exists and was not written by {command_path('data', 'fetch')} (not in "
                "MANIFEST.json); it is "
                "kept: move it away or fetch into another folder",
                file=path,
            )
        if path.is_symlink() or not path.is_file() or sha256_file(path) not in hashes:
            raise DataError(
                f"differs from the copy {command_path('data', 'fetch')} wrote (its sha256 in "
                "MANIFEST.json): it "
                "was edited or replaced, and is kept; move it away or fetch into another folder",
                file=path,
            )


def merged(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """``new`` with the sources and sets of ``old`` that it does not replace."""
    out = dict(new)
    if old:
        out["sources"] = {**old.get("sources", {}), **new["sources"]}
        out["sets"] = {**old.get("sets", {}), **new["sets"]}
    out.pop("pending", None)
    return out


def with_pending(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """``old`` (or an empty manifest) plus the hashes of the files about to be moved in."""
    base = old or {"medfr_manifest": MANIFEST_VERSION, "sources": {}, "sets": {}}
    pending = {name: entry["sha256"] for name, entry in new["sets"].items()}
    return {**base, "pending": {**base.get("pending", {}), **pending}}


def dumps(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
