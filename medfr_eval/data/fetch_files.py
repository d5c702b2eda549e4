"""Where a source's files come from: the Hub at a commit, or a local copy (``--from``).

The Hub: a source pinned to a commit sha is downloaded at that commit; a
source that could only be named by a branch (FrenchMedMCQA's parquet
conversion) has the branch's commit resolved first with ``huggingface_hub``
(``HfApi.dataset_info``) and every file downloaded at that commit, so the
commit recorded in MANIFEST.json is the one the files came from even if the
branch moves during the download. When the files cannot be had, one line says
so with the ``--from`` route and the exact files to place.

A local copy: a folder laid out as the repo, or a folder of repos. A symlink is
followed (the Hugging Face cache keeps ``snapshots/<commit>/<file>`` as links
into ``blobs/``) only to a regular file inside the ``--from`` folder, or inside
the cache repo folder when ``--from`` is a cache snapshot; anything else (a link
out of the mirror, a loop, a FIFO or device) is refused in one line. Its commit
is known when the copy says so: a cache snapshot's folder name, or the metadata
that ``huggingface_hub`` writes beside a ``--local-dir`` download (read, never
written).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from medfr_eval.cli import command_path
from medfr_eval.core.errors import DataError
from medfr_eval.data.public_sources import COMMIT, PublicSource


@dataclass(frozen=True)
class Files:
    """A source's files on disk and the commit they are known to come from (None: unknown)."""

    paths: dict[str, Path]
    commit: str | None
    commit_from: str  # how the commit is known, said in the manifest


def placement(source: PublicSource, names: list[str] | tuple[str, ...]) -> str:
    """The way to fetch without the Hub, naming the exact files (one sentence, no newline)."""
    listed = ", ".join(names)
    fetch = command_path("data", "fetch")
    return (
        f"Offline? On a connected machine run `{fetch} -o DIR`; or place {listed} "
        f"(from the dataset repo {source.repo}, revision {source.revision}) in a folder FROM, "
        f"or under FROM/{source.repo}/, and run `{fetch} --from FROM -o DIR`; then set "
        "MEDFR_DATA=DIR"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def resolve_commit(source: PublicSource, names: list[str]) -> tuple[str, str]:
    """(commit sha, how it is known) for a Hub download: the pin, or the branch's head at fetch time."""
    if source.pinned:
        return source.revision, "pinned in medfr"
    from huggingface_hub import HfApi

    try:
        sha = HfApi().dataset_info(source.repo, revision=source.revision).sha
    except Exception as exc:  # network, offline mode, moved branch: one line for the user
        raise DataError(
            f"could not resolve the commit of {source.repo}@{source.revision} "
            f"({_first_line(exc)}). {placement(source, names)}",
            file=", ".join(names),
        ) from exc
    if not isinstance(sha, str) or not COMMIT.fullmatch(sha):
        raise DataError(
            f"the Hub gave no commit for {source.repo}@{source.revision} (got {sha!r}). "
            f"{placement(source, names)}",
            file=", ".join(names),
        )
    return sha, f"resolved from {source.revision} at fetch time (huggingface_hub)"


def from_hub(source: PublicSource, names: list[str]) -> Files:
    """Download ``names`` at one commit; ``hf_hub_download`` keeps its cache and renames a
    finished download into place, so an interrupted one leaves no file that looks complete."""
    from huggingface_hub import hf_hub_download

    commit, how = resolve_commit(source, names)
    paths = {}
    for name in names:
        try:
            paths[name] = Path(
                hf_hub_download(
                    repo_id=source.repo, filename=name, revision=commit, repo_type="dataset"
                )
            )
        except Exception as exc:  # network, offline mode, moved file: one line for the user
            raise DataError(
                f"could not download {source.repo}@{commit} ({_first_line(exc)}). "
                f"{placement(source, names)}",
                file=name,
            ) from exc
    return Files(paths, commit, how)


def _allowed_roots(from_dir: Path) -> list[Path]:
    root = from_dir.resolve()
    roots = [root]
    if root.parent.name == "snapshots":  # <cache>/datasets--o--n/snapshots/<commit>/
        roots.append(root.parent.parent)
    return roots


def _regular_file(path: Path, from_dir: Path, roots: list[Path]) -> Path:
    """``path`` (which exists, maybe as a link) as a regular file inside the allowed roots."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # a loop, or a dangling link
        raise DataError(
            f"a symlink that cannot be followed ({exc.__class__.__name__}: loop or dangling)",
            file=path,
        ) from None
    if not any(target == r or r in target.parents for r in roots):
        raise DataError(
            f"is a symlink pointing out of the --from folder {from_dir} (to {target}); copy "
            "the file into the folder instead",
            file=path,
        )
    if not stat.S_ISREG(target.stat().st_mode):
        raise DataError("not a regular file (a FIFO, device or folder)", file=path)
    return target


def _local_commit(found: Path, target: Path, name: str) -> tuple[str | None, str]:
    for folder in (found, target):
        parts = folder.parts
        for i in range(len(parts) - 1):
            if parts[i] == "snapshots" and COMMIT.fullmatch(parts[i + 1]):
                return parts[i + 1], "--from: a Hugging Face cache snapshot"
    # huggingface_hub's `--local-dir` download: .cache/huggingface/download/<file>.metadata,
    # whose first line is the commit the file came from
    base = found
    for _ in Path(name).parts:
        base = base.parent
    meta = base / ".cache" / "huggingface" / "download" / f"{name}.metadata"
    try:
        first = meta.read_text(encoding="utf-8").splitlines()[0].strip() if meta.is_file() else ""
    except (OSError, UnicodeDecodeError, IndexError):
        first = ""
    if COMMIT.fullmatch(first):
        return first, "--from: huggingface_hub's download metadata"
    return None, "--from: a local copy that does not say its commit"


def from_folder(source: PublicSource, names: list[str], from_dir: Path) -> Files:
    """The files of a local copy: FROM/<file> or FROM/<owner>/<name>/<file>."""
    roots = _allowed_roots(from_dir)
    paths: dict[str, Path] = {}
    commits: set[str | None] = set()
    how = ""
    for name in names:
        found = None
        for candidate in (from_dir / name, from_dir / source.repo / name):
            if os.path.lexists(candidate):
                found = candidate
                break
        if found is None:
            raise DataError(
                f"{source.repo}: file not found in the --from folder (give a folder laid out as "
                f"the repo, or one holding {source.repo}/; files to place: {', '.join(names)})",
                file=from_dir / name,
            )
        target = _regular_file(found, from_dir, roots)
        paths[name] = target
        commit, how = _local_commit(found, target, name)
        commits.add(commit)
    if len(commits) == 1:
        return Files(paths, commits.pop(), how)
    return Files(paths, None, "--from: the files do not come from one known commit")


def get_files(source: PublicSource, names: list[str], from_dir: Path | None) -> Files:
    """The files ``names`` of ``source``, from ``from_dir`` when given, else the Hub."""
    if from_dir is not None:
        return from_folder(source, names, from_dir)
    return from_hub(source, names)
