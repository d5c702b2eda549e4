"""Download the public sources and convert them to medfr's JSONL, atomically, with a manifest.

``medfr-data fetch`` and the default loading path share this code: with no
``MEDFR_DATA``, a public set is fetched once into a cache folder
(``$MEDFR_CACHE``, else ``~/.cache/medfr``) and read from there, so 20 tasks
read one 485 MB archive once. On an air-gapped cluster, ``medfr-data fetch -o
DIR`` on a connected machine, then ``MEDFR_DATA=DIR`` on the nodes.

Atomic: everything is written to a temp folder beside DIR and moved in only
when every requested set has converted and checked; a failure (bad layout,
interrupted download, Ctrl-C) leaves DIR as it was. DIR may already hold other
sets (e.g. the study's own files): fetch adds its files and never overwrites a
file that a previous fetch did not write.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from medfr_eval.cli import command_path
from medfr_eval.data import validate_record
from medfr_eval.errors import DataError
from medfr_eval.fileio import sha256_file
from medfr_eval.public_sources import SOURCES, PublicSource
from medfr_eval.sets import PUBLIC_SETS, EvalSet, get_set

MANIFEST = "MANIFEST.json"
MANIFEST_VERSION = 1


def resolve_sets(names: list[str] | tuple[str, ...] | None) -> list[EvalSet]:
    """The sets to fetch: all public ones when ``names`` is empty; names or task names."""
    if not names:
        return list(PUBLIC_SETS)
    out: list[EvalSet] = []
    for name in names:
        try:
            es = get_set(name)
        except KeyError:
            known = ", ".join(s.name for s in PUBLIC_SETS)
            raise DataError(f"unknown set; public sets: {known}", field=name) from None
        if not es.public_source:
            raise DataError(
                "this set has no public copy: request it from the study's authors and put "
                f"{es.name}.jsonl in the folder named by MEDFR_DATA",
                field=name,
            )
        if es not in out:
            out.append(es)
    return out


def download(source: PublicSource, filename: str, from_dir: Path | None = None) -> Path:
    """One file of a source: from the ``--from`` folder (laid out as the repo), else the Hub.

    ``hf_hub_download`` keeps its cache and shows its own progress bar; it writes
    to ``*.incomplete`` and renames, so an interrupted download leaves no file
    that looks complete.
    """
    if from_dir is not None:
        # the repo's own folder, or a folder of repos: FROM/<owner>/<name>/<file>
        for path in (Path(from_dir) / filename, Path(from_dir) / source.repo / filename):
            if path.is_file():
                return path
        raise DataError(
            f"{source.repo}: file not found in the --from folder (give a folder laid out as the "
            f"repo, or one holding {source.repo}/)",
            file=Path(from_dir) / filename,
        )
    from huggingface_hub import hf_hub_download

    try:
        return Path(
            hf_hub_download(
                repo_id=source.repo,
                filename=filename,
                revision=source.revision,
                repo_type="dataset",
            )
        )
    except Exception as exc:  # network, offline mode, moved file: one line for the user
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise DataError(
            f"could not download {source.repo}@{source.revision} ({type(exc).__name__}: {first}). "
            f"Offline? Run `{command_path('data', 'fetch')} -o DIR` on a connected machine (or with --from a local "
            "copy of the repo) and set MEDFR_DATA=DIR",
            file=filename,
        ) from exc


def _progress_bar(total: int | None, unit: str, desc: str):
    from tqdm.auto import tqdm

    # disable=None: shown on a terminal, silent in logs and tests
    return tqdm(total=total, unit=unit, unit_scale=unit == "B", desc=desc, disable=None)


class _SetWriter:
    """Validated records of one set into ``<tmp>/<set>.jsonl``, with unique ids."""

    def __init__(self, folder: Path, es: EvalSet) -> None:
        self.es, self.path = es, folder / f"{es.name}.jsonl"
        self.fh = self.path.open("w", encoding="utf-8")
        self.ids: set[str] = set()

    def write(self, rec: dict, where: str) -> None:
        item = validate_record(self.es, rec, file=where)
        if item["id"] in self.ids:
            raise DataError(
                f"duplicate id {item['id']!r} in set {self.es.name}", file=where, field="id"
            )
        self.ids.add(item["id"])
        self.fh.write(json.dumps(item, ensure_ascii=False, allow_nan=False) + "\n")

    def close(self) -> None:
        self.fh.close()


def _convert_source(
    source: PublicSource, wanted: list[EvalSet], tmp: Path, from_dir: Path | None
) -> dict[str, Any]:
    """Download and convert one source's wanted sets into ``tmp``; returns manifest entries."""
    names = {s.name for s in wanted}
    files = {name: download(source, name, from_dir) for name in source.files_for(names)}
    writers = {s.name: _SetWriter(tmp, s) for s in wanted}
    total, unit = source.progress_total(files, names)
    try:
        with _progress_bar(total, unit, f"convert {source.repo}") as bar:
            for set_name, rec, where in source.convert(files, names, bar.update):
                writers[set_name].write(rec, where)
    finally:
        for w in writers.values():
            w.close()
    sets: dict[str, Any] = {}
    for es in wanted:
        w = writers[es.name]
        if not w.ids:
            raise DataError(
                f"{source.repo}: no records of set {es.name!r} in the source", file=", ".join(files)
            )
        sets[es.name] = {
            "source": source.key,
            "file": w.path.name,
            "items": len(w.ids),
            "expected_items": es.study_size or None,
            "sha256": sha256_file(w.path),
        }
    entry = {
        "repo": source.repo,
        "revision": source.revision,
        "license": source.license,
        "title": source.title,
        "files": {
            name: {"sha256": sha256_file(path), "bytes": path.stat().st_size}
            for name, path in files.items()
        },
    }
    return {"source": entry, "sets": sets}


def read_manifest(folder: Path) -> dict[str, Any] | None:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON: {exc.msg}", file=path, line=exc.lineno) from exc
    if not isinstance(data, dict) or data.get("medfr_manifest") != MANIFEST_VERSION:
        raise DataError(f"not a medfr manifest (version {MANIFEST_VERSION})", file=path)
    return data


def _check_no_foreign_files(out: Path, names: list[str]) -> dict[str, Any] | None:
    """Refuse to overwrite a set file that no fetch wrote (e.g. the study's own files)."""
    manifest = read_manifest(out) if out.is_dir() else None
    ours = set((manifest or {}).get("sets", {}))
    for name in names:
        if (out / f"{name}.jsonl").exists() and name not in ours:
            raise DataError(
                f"exists and was not written by {command_path('data', 'fetch')} (not in MANIFEST.json); "
                "it is kept: "
                "move it away or fetch into another folder",
                file=out / f"{name}.jsonl",
            )
    return manifest


def _move_in(tmp: Path, out: Path, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
    """Put the converted files in ``out``: one rename when it is new, else file by file."""
    if old:
        new["sources"] = {**old.get("sources", {}), **new["sources"]}
        new["sets"] = {**old.get("sets", {}), **new["sets"]}
    text = json.dumps(new, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    (tmp / MANIFEST).write_text(text, encoding="utf-8")
    if not out.exists():
        try:
            os.rename(tmp, out)
            return
        except OSError:
            if not out.is_dir():  # not a concurrent fetch that won the race: a real error
                raise
    for name in new["sets"]:
        if (tmp / f"{name}.jsonl").exists():
            os.replace(tmp / f"{name}.jsonl", out / f"{name}.jsonl")
    os.replace(tmp / MANIFEST, out / MANIFEST)  # last: the manifest vouches for the files
    shutil.rmtree(tmp, ignore_errors=True)


def fetch(
    names: list[str] | tuple[str, ...] | None, out: str | Path, from_dir: str | Path | None = None
) -> dict[str, Any]:
    """Fetch the public sets ``names`` (all when empty) into ``out``; returns the manifest."""
    from medfr_eval import __version__

    wanted = resolve_sets(names)
    out = Path(out).expanduser()
    from_path = Path(from_dir).expanduser() if from_dir is not None else None
    if from_path is not None and not from_path.is_dir():
        raise DataError("the --from folder does not exist", file=from_path)
    old = _check_no_foreign_files(out, [s.name for s in wanted])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.fetch-", dir=out.parent))
    try:
        manifest: dict[str, Any] = {
            "medfr_manifest": MANIFEST_VERSION,
            "medfr_version": __version__,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "sources": {},
            "sets": {},
        }
        by_source: dict[str, list[EvalSet]] = {}
        for es in wanted:
            by_source.setdefault(es.public_source or "", []).append(es)
        for key, sets in by_source.items():
            done = _convert_source(SOURCES[key], sets, tmp, from_path)
            manifest["sources"][key] = done["source"]
            manifest["sets"].update(done["sets"])
        _move_in(tmp, out, old, manifest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def size_warnings(manifest: dict[str, Any]) -> list[str]:
    """One line per set whose item count differs from the expected (study's) size."""
    lines = []
    for name, entry in manifest.get("sets", {}).items():
        expected = entry.get("expected_items")
        if expected and entry["items"] != expected:
            lines.append(f"{name}: {entry['items']} items, expected {expected} (the study's size)")
    return lines


# ------------------------------------------------------------------ default loading path


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


def ensure_cached(set_name: str) -> Path:
    """The JSONL of a public set in the cache, fetching its whole source the first time."""
    es = get_set(set_name)
    if not es.public_source:
        raise DataError(f"set {es.name!r} has no public copy", field="medfr_set")
    source = SOURCES[es.public_source]
    folder = cached_folder(source)
    path = folder / f"{es.name}.jsonl"
    manifest = read_manifest(folder) if folder.is_dir() else None
    if not (path.is_file() and manifest and es.name in manifest.get("sets", {})):
        missing = [
            s
            for s in source.sets
            if not (folder / f"{s}.jsonl").is_file() or s not in (manifest or {}).get("sets", {})
        ]
        fetch(missing, folder)
    return path
