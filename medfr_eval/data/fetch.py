"""Download the public sources and convert them to medfr's JSONL, atomically, with a manifest.

``medfr-data fetch`` and the default loading path share this code: with no
``MEDFR_DATA``, a public set is fetched once into a cache folder
(``$MEDFR_CACHE``, else ``~/.cache/medfr``) and read from there, so 20 tasks
read one 485 MB archive once. On an air-gapped cluster, ``medfr-data fetch -o
DIR`` on a connected machine, then ``MEDFR_DATA=DIR`` on the nodes.

Atomic: everything is written to a temp folder beside DIR and moved in only
when every requested set has converted and checked; a failure (bad layout,
interrupted download, Ctrl-C, SIGTERM, a full disk) leaves DIR as it was and
removes the temp folder. DIR may already hold other sets (e.g. the study's own
files): fetch adds its files and never overwrites a file it did not write, nor
one it wrote that was edited since (the sha256 in MANIFEST.json tells;
:mod:`medfr_eval.data.fetch_manifest`). One fetch at a time per folder
(:mod:`medfr_eval.data.fetch_lock`). The fetched JSONL keeps each source file's
order; the order a set is served in is the loader's.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from medfr_eval.core.errors import DataError
from medfr_eval.core.fileio import sha256_file, term_as_interrupt, write_text_atomic
from medfr_eval.core.sets import PUBLIC_SETS, EvalSet, get_set
from medfr_eval.data.fetch_files import Files, get_files
from medfr_eval.data.fetch_lock import MARKER, FetchLock, make_temp, remove_stale_temps
from medfr_eval.data.fetch_manifest import (
    MANIFEST,
    MANIFEST_VERSION,
    cache_root,
    cached_folder,
    check_replaceable,
    dumps,
    merged,
    owned_hashes,
    read_manifest,
    with_pending,
)
from medfr_eval.data.public_sources import SOURCES, PublicSource, Tally
from medfr_eval.data.records import validate_record

__all__ = [
    "MANIFEST",
    "MANIFEST_VERSION",
    "cache_root",
    "cached_folder",
    "ensure_cached",
    "fetch",
    "note_warnings",
    "provenance",
    "read_manifest",
    "resolve_sets",
    "size_warnings",
    "summary_lines",
]


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


def _source_entry(source: PublicSource, files: Files, tally: Tally) -> dict[str, Any]:
    return {
        "repo": source.repo,
        "revision": source.revision,
        "commit": files.commit,
        "commit_from": files.commit_from,
        "pin_note": source.pin_note,
        "license": source.license,
        "title": source.title,
        "files": {
            name: {"sha256": sha256_file(path), "bytes": path.stat().st_size}
            for name, path in files.paths.items()
        },
        "skipped": dict(sorted(tally.skipped.items())),
    }


def _convert_source(
    source: PublicSource, wanted: list[EvalSet], tmp: Path, from_dir: Path | None
) -> dict[str, Any]:
    """Download and convert one source's wanted sets into ``tmp``; returns manifest entries."""
    names = {s.name for s in wanted}
    files = get_files(source, list(source.files_for(names)), from_dir)
    writers = {s.name: _SetWriter(tmp, s) for s in wanted}
    total, unit = source.progress_total(files.paths, names)
    tally = Tally()
    try:
        with _progress_bar(total, unit, f"convert {source.repo}") as bar:
            for set_name, rec, where in source.convert(files.paths, names, bar.update, tally):
                writers[set_name].write(rec, where)
    finally:
        for w in writers.values():
            w.close()
    sets: dict[str, Any] = {}
    for es in wanted:
        w = writers[es.name]
        if not w.ids:
            raise DataError(
                f"{source.repo}: no records of set {es.name!r} in the source",
                file=", ".join(files.paths),
            )
        sets[es.name] = {
            "source": source.key,
            "file": w.path.name,
            "items": len(w.ids),
            "expected_items": es.study_size or None,
            "sha256": sha256_file(w.path),
            "notes": dict(sorted(tally.notes.get(es.name, {}).items())),
        }
    return {"source": _source_entry(source, files, tally), "sets": sets}


def _move_in(tmp: Path, out: Path, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
    """Put the converted files in ``out``: one rename when it is new, else file by file,
    with the pending hashes recorded first (:mod:`medfr_eval.data.fetch_manifest`)."""
    final = merged(old, new)
    (tmp / MANIFEST).write_text(dumps(final), encoding="utf-8")
    (tmp / MARKER).unlink(missing_ok=True)
    if not out.exists():
        os.rename(tmp, out)
        return
    write_text_atomic(out / MANIFEST, dumps(with_pending(old, new)))
    for name in new["sets"]:
        os.replace(tmp / f"{name}.jsonl", out / f"{name}.jsonl")
    write_text_atomic(out / MANIFEST, dumps(final))  # last: it vouches for the files
    shutil.rmtree(tmp, ignore_errors=True)


def _new_manifest() -> dict[str, Any]:
    from medfr_eval import __version__

    return {
        "medfr_manifest": MANIFEST_VERSION,
        "medfr_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "sources": {},
        "sets": {},
    }


def _prepare_parent(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise DataError("exists and is not a folder; give a folder name", file=out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a folder should be, no permission
        raise DataError(f"cannot create the folder: {exc.strerror or exc}", file=out) from None


def _present(out: Path, manifest: dict[str, Any] | None, name: str) -> bool:
    path = out / f"{name}.jsonl"
    return path.is_file() and sha256_file(path) in owned_hashes(manifest, name)


def _fetch_locked(
    wanted: list[EvalSet], out: Path, from_path: Path | None, only_missing: bool
) -> dict[str, Any]:
    remove_stale_temps(out)
    old = read_manifest(out) if out.is_dir() else None
    if only_missing:  # another process may have fetched them while this one waited
        wanted = [s for s in wanted if not _present(out, old, s.name)]
        if not wanted:
            return merged(old, _new_manifest())
    check_replaceable(out, [s.name for s in wanted], old)
    tmp: Path | None = None
    try:
        tmp = make_temp(out)
        manifest = _new_manifest()
        by_source: dict[str, list[EvalSet]] = {}
        for es in wanted:
            by_source.setdefault(es.public_source or "", []).append(es)
        for key, sets in by_source.items():
            done = _convert_source(SOURCES[key], sets, tmp, from_path)
            manifest["sources"][key] = done["source"]
            manifest["sets"].update(done["sets"])
        _move_in(tmp, out, old, manifest)
    except OSError as exc:  # a full disk, an unreadable copy: nothing was moved half
        raise _os_error(exc, out, tmp) from None
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def _os_error(exc: OSError, out: Path, tmp: Path | None) -> DataError:
    """One line for an OS failure: reading a source's file, or writing the output."""
    name = str(exc.filename or "")
    ours = [str(out)] + ([str(tmp)] if tmp is not None else [])
    if name and not any(name.startswith(p) for p in ours):
        return DataError(f"cannot read: {exc.strerror or exc}", file=name)
    return DataError(f"cannot write: {exc.strerror or exc}", file=out)


def fetch(
    names: list[str] | tuple[str, ...] | None,
    out: str | Path,
    from_dir: str | Path | None = None,
    *,
    only_missing: bool = False,
) -> dict[str, Any]:
    """Fetch the public sets ``names`` (all when empty) into ``out``; returns what this fetch
    wrote (sources and sets; MANIFEST.json in ``out`` holds these merged with earlier ones).
    ``only_missing`` leaves out the sets already there (the cache's use)."""
    wanted = resolve_sets(names)
    out = Path(out).expanduser()
    from_path = Path(from_dir).expanduser() if from_dir is not None else None
    if from_path is not None and not from_path.is_dir():
        raise DataError("the --from folder does not exist", file=from_path)
    _prepare_parent(out)
    # early checks, before any download; repeated under the lock
    check_replaceable(out, [s.name for s in wanted], read_manifest(out) if out.is_dir() else None)
    with term_as_interrupt(), FetchLock(out):
        return _fetch_locked(wanted, out, from_path, only_missing)


def size_warnings(manifest: dict[str, Any]) -> list[str]:
    """One line per set whose item count differs from the expected size, then the lines of
    :func:`note_warnings`."""
    lines = []
    for name, entry in manifest.get("sets", {}).items():
        expected = entry.get("expected_items")
        if expected and entry["items"] != expected:
            whose = "the study's size" if get_set(name).in_study else "the size its source states"
            lines.append(f"{name}: {entry['items']} items, expected {expected} ({whose})")
    return lines + note_warnings(manifest)


def note_warnings(manifest: dict[str, Any]) -> list[str]:
    """One line per set holding items worth a warning (an MCQM item with fewer than two
    answers, a FrenchMedMCQA count that differs from its letters)."""
    from medfr_eval.data.public_sources.frenchmedmcqa import COUNT_DIFFERS
    from medfr_eval.data.public_sources.mediqal import FEWER_THAN_TWO

    lines = []
    for name, entry in manifest.get("sets", {}).items():
        notes = entry.get("notes") or {}
        if notes.get(FEWER_THAN_TWO):
            lines.append(
                f"{name}: {notes[FEWER_THAN_TWO]} items have fewer than two correct answers, "
                "though the set is defined as multi-answer; kept as they are"
            )
        if notes.get(COUNT_DIFFERS):
            lines.append(
                f"{name}: {notes[COUNT_DIFFERS]} items have a number_correct_answers that "
                "differs from their correct_answers; their letters are kept"
            )
    return lines


def summary_lines(manifest: dict[str, Any], out: str | Path) -> list[str]:
    """What a fetch wrote, one line per set and per source (commit, what was skipped)."""
    from medfr_eval.data.public_sources.bioinstructqa import WITHOUT_CONTEXT

    lines = []
    for name, entry in manifest.get("sets", {}).items():
        extra = ""
        if (entry.get("notes") or {}).get(WITHOUT_CONTEXT):
            extra = f" ({entry['notes'][WITHOUT_CONTEXT]} without a context)"
        lines.append(f"{name}: {entry['items']} items -> {Path(out) / entry['file']}{extra}")
    for source in manifest.get("sources", {}).values():
        commit = source.get("commit") or "unknown"
        skipped = source.get("skipped") or {}
        said = (
            "skipped: " + ", ".join(f"{k} {v}" for k, v in skipped.items())
            if skipped
            else "skipped: none"
        )
        lines.append(f"{source['repo']}: commit {commit} ({source['commit_from']}); {said}")
    return lines


# ------------------------------------------------------------------ default loading path


def ensure_cached(set_name: str) -> Path:
    """The JSONL of a public set in the cache, fetching its whole source the first time.

    A cached file whose bytes no longer match its manifest is not served (it was
    edited): one line says to remove the cache folder."""
    es = get_set(set_name)
    if not es.public_source:
        raise DataError(f"set {es.name!r} has no public copy", field="medfr_set")
    source = SOURCES[es.public_source]
    folder = cached_folder(source)
    path = folder / f"{es.name}.jsonl"
    manifest = read_manifest(folder) if folder.is_dir() else None
    if path.is_file() and manifest and es.name in manifest.get("sets", {}):
        if sha256_file(path) not in owned_hashes(manifest, es.name):
            raise DataError(
                f"differs from the copy fetch wrote into the cache (sha256 in {MANIFEST}); "
                f"remove {folder} to fetch it again",
                file=path,
            )
        return path
    written = fetch(list(source.sets), folder, only_missing=True)
    for line in note_warnings(written):  # sizes are checked (and said) by the loader
        print(f"medfr: warning: {line}", file=sys.stderr)
    return path


def provenance(set_name: str, origin: str) -> dict[str, Any]:
    """What a run records of a fetched copy (``metadata.medfr_loaded``): its commit, and for
    a file in a ``MEDFR_DATA`` folder, the public copy its manifest vouches for.

    ``origin`` is where the loader read the set (``<repo>@<revision>`` for the cache,
    else a file path). Empty when no manifest vouches for the file's bytes."""
    es = get_set(set_name)
    source = SOURCES.get(es.public_source or "")
    if source is not None and origin == f"{source.repo}@{source.revision}":
        path = cached_folder(source) / f"{es.name}.jsonl"
    elif origin.endswith(".jsonl") and Path(origin).is_file():
        path = Path(origin)
    else:
        return {}
    try:
        manifest = read_manifest(path.parent)
    except DataError:
        return {}
    entry = (manifest or {}).get("sets", {}).get(es.name)
    if not entry or sha256_file(path) not in owned_hashes(manifest, es.name):
        return {}
    src = (manifest or {}).get("sources", {}).get(entry.get("source"), {})
    out = {"commit": src.get("commit")}
    if source is None or path.parent != cached_folder(source):
        out["public_copy"] = f"{src.get('repo')}@{src.get('revision')}"
    return out
