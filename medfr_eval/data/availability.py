"""Which sets have data where, what to say when some have none, and the size check.

Kept apart from :mod:`medfr_eval.data.load` (reading and checking records) because
these answer questions about *all* sets at once: lm-eval stops at the first
task whose data is missing, so that one error lists every set without data,
saying which are public (``medfr-data fetch``) and which must be requested
from the study's authors. :func:`check_available` asks it of the requested
sets before lm-eval loads the model (:mod:`medfr_eval.lmeval.preflight`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from medfr_eval.cli import command_path
from medfr_eval.core.errors import DataError
from medfr_eval.core.resources import samples_dir
from medfr_eval.core.sets import ALL_SETS, EvalSet


def resolve_choice(medfr_data: str | None) -> tuple[str, str | None]:
    """('sample'|'hub'|'dir', folder) from the argument or the environment."""
    value = medfr_data or os.environ.get("MEDFR_DATA") or "hub"
    if value == "sample":
        return "sample", str(samples_dir())
    if value == "hub":
        return "hub", None
    return "dir", str(Path(value).expanduser())


def _has_hub_path(es: EvalSet, sources_file: str | None) -> bool:
    from medfr_eval.data.sources import get_source

    try:
        return bool(get_source(es.name, sources_file).path)
    except KeyError:  # extra sets have no entry in the study's sources table
        return False


def missing_data_error(es: EvalSet, folder: str | None, sources_file: str | None) -> DataError:
    """The error for a set without data, naming every other set that has none either."""
    private = [
        s.name
        for s in ALL_SETS
        if not s.public_source
        and not (folder and (Path(folder) / f"{s.name}.jsonl").is_file())
        and not _has_hub_path(s, sources_file)
    ]
    where = "no medfr_data / MEDFR_DATA folder given"
    looked = f"looked for {Path(folder) / f'{es.name}.jsonl'}" if folder else where
    parts = [
        f"no data for set {es.name!r} ({looked}; no known Hub copy, none named with "
        "--metadata '{\"medfr_hub\": FILE}').",
        f"Without data: {', '.join(private)}: no public copy; request them from the study's "
        "authors and put <set>.jsonl (medfr schema, docs/data.md; `medfr data convert` "
        "turns other files into it) in the folder named by MEDFR_DATA or "
        "--metadata '{\"medfr_data\": DIR}'.",
    ]
    if folder:
        public = [
            s.name
            for s in ALL_SETS
            if s.public_source and not (Path(folder) / f"{s.name}.jsonl").is_file()
        ]
        if public:
            parts.append(
                f"Public, not in the folder (downloaded when online; for offline nodes "
                f"`{command_path('data', 'fetch')} -o {folder}`): {', '.join(public)}."
            )
    parts.append('Shipped samples: --metadata \'{"medfr_data": "sample"}\'.')
    return DataError(" ".join(parts), field="medfr_set")


def hub_offline() -> bool:
    """Whether downloads from the Hub are switched off (``HF_HUB_OFFLINE``, as huggingface_hub reads it)."""
    try:
        from huggingface_hub import constants
    except ImportError:  # pragma: no cover - a dependency of lm-eval and datasets
        constants = None
    if constants is not None and constants.HF_HUB_OFFLINE:
        return True
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in ("1", "ON", "YES", "TRUE")


def _public_cached(es: EvalSet) -> bool:
    """Whether the public copy of ``es`` is already converted in medfr's cache (no download)."""
    from medfr_eval.data.fetch_manifest import cached_folder, read_manifest
    from medfr_eval.data.public_sources import SOURCES

    folder = cached_folder(SOURCES[es.public_source])
    if not (folder / f"{es.name}.jsonl").is_file():
        return False
    manifest = read_manifest(folder)
    return bool(manifest and es.name in manifest.get("sets", {}))


def _has_local_data(es: EvalSet, folder: str | None, sources_file: str | None) -> bool:
    """Whether the loader will find data for ``es`` without downloading a public copy.

    A Hub source the user named counts as data: whether it can be read (or is in
    the datasets cache) is the loader's to find out, with its own message."""
    if folder and (Path(folder) / f"{es.name}.jsonl").is_file():
        return True
    return (es.in_study and _has_hub_path(es, sources_file)) or (
        bool(es.public_source) and _public_cached(es)
    )


def check_available(
    sets: Iterable[EvalSet], medfr_data: str | None = None, medfr_hub: str | None = None
) -> None:
    """Raise one :class:`DataError` naming every set of ``sets`` that cannot have data.

    A set cannot have data when it has no file in the chosen folder, no Hub
    source named by the user, and either no public copy or a public copy that
    is not in medfr's cache while ``HF_HUB_OFFLINE`` forbids the download.
    Public copies that a connected machine would download are left to the
    loader; so are the shipped samples (every set has one)."""
    how, folder = resolve_choice(medfr_data)
    if how == "sample":
        return
    offline = hub_offline()
    sets = list(sets)
    private, public = [], []
    for es in sets:
        if _has_local_data(es, folder, medfr_hub):
            continue
        if not es.public_source:
            private.append(es.name)
        elif offline:
            public.append(es.name)
    if private or public:
        raise _unavailable_error(private, public, folder, len(sets))


def _unavailable_error(
    private: list[str], public: list[str], folder: str | None, n_requested: int
) -> DataError:
    """The one message for every requested set without data: what to run for each kind."""
    n = len(private) + len(public)
    looked = f"none in {folder}" if folder else "no medfr_data / MEDFR_DATA folder given"
    parts = [f"no data for {n} of the {n_requested} requested sets ({looked}):"]
    target = folder or "DIR"
    if public:
        parts.append(
            f"public, not in medfr's cache and HF_HUB_OFFLINE is set: {', '.join(public)}: run "
            f"`medfr data fetch -o {target}` on a connected machine (or with --from a local copy "
            f"of the source repos) and set MEDFR_DATA={target}" + (";" if private else ".")
        )
    if private:
        parts.append(
            f"no public copy: {', '.join(private)}: request them from the study's authors and "
            f"put <set>.jsonl (medfr schema, docs/data.md) in {target}, or name a Hub "
            "copy with --metadata '{\"medfr_hub\": FILE}'."
        )
    parts.append('Shipped samples: --metadata \'{"medfr_data": "sample"}\'.')
    return DataError(" ".join(parts), field="medfr_data")


def flag(value: Any) -> bool:
    """A ``--metadata`` switch given as JSON true or as a string."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def check_size(es: EvalSet, n_items: int, origin: str, strict: bool) -> dict[str, Any]:
    """Compare the loaded item count with the expected one; warn, or fail when strict.

    Returns what the run records in its task config (``metadata.medfr_loaded``).
    """
    expected = es.study_size or None
    info: dict[str, Any] = {"source": origin, "items": n_items, "expected_items": expected}
    if expected is None or n_items == expected:
        info["size_matches"] = expected is not None
        return info
    info["size_matches"] = False
    message = (
        f"set {es.name} has {n_items} items from {origin}, the study's test set has {expected}"
    )
    if strict:
        raise DataError(message + " (medfr_strict_sizes is on)", field="medfr_strict_sizes")
    print(f"medfr: warning: {message}; scores are not comparable with the study's", file=sys.stderr)
    return info


def building_task() -> Any:
    """The lm-eval task being built by our caller (a few frames up), or None.

    lm-eval calls our dataset loader from ``ConfigurableTask.__init__`` with
    copies of the metadata and no handle on the task, and has no hook for a
    loader to annotate its task. The config is what lm-eval writes to the
    results (``configs``), so we find the task being built on the call stack.
    If lm-eval changes this, nothing breaks: notes are just not recorded and
    the early BERTScore check does not run (tests watch for both).
    """
    try:
        from lm_eval.api.task import ConfigurableTask
    except ImportError:  # pragma: no cover - lm-eval is a dependency
        return None
    frame = sys._getframe(1)
    for _ in range(16):
        if frame is None:
            break
        task = frame.f_locals.get("self")
        if isinstance(task, ConfigurableTask):
            return task
        frame = frame.f_back
    return None


def record_in_task(task: Any, key: str, value: Any) -> None:
    """Add ``value`` to the ``metadata`` of an lm-eval task's config (written to the results)."""
    config = task.config
    if not isinstance(config.metadata, dict):
        config.metadata = {}
    config.metadata[key] = value
