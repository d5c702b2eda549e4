"""Each model's per-item scores, kept beside the run folder once its sample logs were read.

Reading a model's sample logs (:func:`medfr_eval.lmeval_output.read_sample_log`, the one
parser of them, strict: every line, metric and prompt hash checked) is most of what
``medfr study compare`` and the skip check of ``medfr study run`` cost: ~11,500 JSON lines
a model at the study's sizes, each several kB. What they need from it is small: per set,
the doc ids, the metric values and the cluster labels. So once a model's logs were read
and found whole, those arrays are saved under ``cache/scores/<model>.npz``, keyed by the
name, size and modification time of every file of the model folder and by how the logs
were read (clusters or not, which sets); any change to a file, or another reading,
misses the key and the logs are read again. Saved with numpy's ``savez`` and loaded with
``allow_pickle=False`` (plain arrays: nothing runs), through a temp file and a rename.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from medfr_eval.core.fileio import temp_beside

#: Bump when what is saved, or how the logs are read, changes.
MEMO_VERSION = 1

Scores = dict[
    str, tuple[np.ndarray, np.ndarray, list[str] | None]
]  # task -> (ids, values, clusters)


def key(folder: Path, tasks: tuple[str, ...], cluster: bool) -> str:
    """What the saved scores depend on: every file of the model folder and the reading."""
    parts: list = [MEMO_VERSION, list(tasks), cluster]
    for f in sorted(Path(folder).iterdir()):
        if f.is_file():
            st = f.stat()
            parts.append([f.name, st.st_size, st.st_mtime_ns])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def save(path: Path, folder: Path, tasks: tuple[str, ...], cluster: bool, scores: Scores) -> None:
    """Write ``scores`` for the model folder ``folder`` (atomically)."""
    arrays: dict[str, np.ndarray] = {"key": np.array(key(folder, tasks, cluster))}
    for i, task in enumerate(tasks):
        ids, values, clusters = scores[task]
        arrays[f"ids_{i}"], arrays[f"values_{i}"] = ids, values
        if clusters is not None:
            arrays[f"clusters_{i}"] = np.array(clusters, dtype=str)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_beside(path)
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load(path: Path, folder: Path, tasks: tuple[str, ...], cluster: bool) -> Scores | None:
    """The saved scores if they were saved for these very files and this reading, else None."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key(folder, tasks, cluster):
                return None
            out: Scores = {}
            for i, task in enumerate(tasks):
                labels = data[f"clusters_{i}"].tolist() if f"clusters_{i}" in data else None
                out[task] = (data[f"ids_{i}"], data[f"values_{i}"], labels)
            return out
    except (OSError, ValueError, KeyError):
        return None
