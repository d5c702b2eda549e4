"""Small file helpers every command shares: atomic writes, UTF-8 reading and YAML, with clear errors.

Every output of medfr (JSONL sets, run cards, reports, site data, SLURM
scripts) is written to a temp file in the same folder and renamed into place,
so a crash, Ctrl-C or a ``kill`` never leaves a half-written file behind, and
the file gets the permissions any new file gets under the user's umask (a
colleague on a shared cluster can read it). JSON is strict (no NaN/Infinity:
browsers and ``jq`` refuse them). Text input is read as UTF-8 whatever the
locale, and bytes that are not UTF-8 name the file and line. YAML is read with
``yaml.safe_load`` only, and a syntax error names the file and line.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from medfr_eval.core.errors import DataError, MedfrError


def current_umask() -> int:
    """The process umask: from /proc on Linux, else by setting it and putting it back.

    Why /proc first: ``os.umask`` has no getter, and setting it briefly is racy
    with other threads creating files."""
    try:
        for row in Path("/proc/self/status").read_text().splitlines():
            if row.startswith("Umask:"):
                return int(row.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def term_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt while an atomic write runs, so its temp file is removed.

    Why: Python dies on SIGTERM without running ``except``/``finally``; a job
    scheduler's ``kill`` would then leave ``*.tmp`` files behind. Only in the
    main thread (signal handlers cannot be set elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):  # noqa: ARG001 - signal API
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # pragma: no cover - exotic embedding
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def temp_beside(path: Path) -> Path:
    """A new, empty, uniquely named temp file beside ``path``, with the umask's permissions.

    Why not ``path + ".tmp"``: a fixed name collides between two runs and, if
    someone left a symlink there, writing it would follow the link."""
    fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~current_umask())
    return Path(tmp)


def write_text_atomic(
    path: str | Path,
    text: str,
    *,
    mode: int | None = None,
    error: type[MedfrError] = DataError,
) -> Path:
    """Write ``text`` to ``path`` through a temp file and ``os.replace``; creates the folder.

    The file's mode is what ``open()`` would give under the umask (``mkstemp``
    alone makes 0600 files); ``mode`` (e.g. 0o755 for a script) is filtered by
    the umask too, as ``open()`` and ``mkdir`` do. An OS failure (not
    writable, a folder in the way, disk full) raises ``error`` naming ``path``;
    the temp file is removed whatever happens, Ctrl-C and SIGTERM included."""
    path = Path(path)
    if path.is_dir():
        raise error("is a folder; give a file name", file=path)
    tmp: str | None = None
    try:
        with term_as_interrupt():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                os.chmod(tmp, (mode if mode is not None else 0o666) & ~current_umask())
                os.replace(tmp, path)
                tmp = None
            finally:
                if tmp is not None:
                    Path(tmp).unlink(missing_ok=True)
    except OSError as exc:
        raise error(f"cannot write: {exc.strerror or exc}", file=path) from None
    return path


def dumps_strict(data: Any, **kwargs: Any) -> str:
    """``json.dumps`` refusing NaN/Infinity with a message that says so (strict JSON)."""
    try:
        return json.dumps(data, allow_nan=False, **kwargs)
    except ValueError as exc:
        raise ValueError(
            f"{exc} (medfr writes strict JSON: use null for a missing number)"
        ) from None


def write_json_atomic(
    path: str | Path, data: Any, *, sort_keys: bool = False, default: Any = None
) -> Path:
    """Indented UTF-8 strict JSON (``allow_nan=False``), written atomically.

    A NaN reaching here is a bug of the caller, which must turn a missing
    measurement into ``None`` on purpose (see ``medfr_train.runcard``)."""
    text = dumps_strict(data, indent=2, ensure_ascii=False, sort_keys=sort_keys, default=default)
    return write_text_atomic(path, text + "\n")


def _decode_error(
    path: Path, data: bytes, exc: UnicodeDecodeError, error: type[MedfrError], line: int | None
) -> MedfrError:
    if line is None:
        line = data.count(b"\n", 0, exc.start) + 1
    return error(
        f"not UTF-8 (byte 0x{data[exc.start]:02x}); re-save the file as UTF-8 "
        "(e.g. it was saved as Latin-1/Windows-1252)",
        file=path,
        line=line,
    )


def read_text_utf8(path: str | Path, *, error: type[MedfrError] = DataError) -> str:
    """A whole text file as UTF-8 (a leading BOM dropped); bad bytes name file and line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise error("file not found", file=path) from None
    except IsADirectoryError:
        raise error("is a folder, expected a file", file=path) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", file=path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _decode_error(path, data, exc, error, None) from None


def open_binary(path: Path, *, error: type[MedfrError] = DataError):
    """``path`` opened for reading bytes; a folder, a missing or an unreadable file is
    one ``error`` naming it (the streaming readers' common start)."""
    if path.is_dir():
        raise error("is a folder, expected a file", file=path)
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise error("file not found", file=path) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", file=path) from None


def iter_lines_utf8(
    path: str | Path, *, error: type[MedfrError] = DataError
) -> Iterator[tuple[int, str]]:
    """(line number, text) of a text file read as UTF-8, streaming (JSONL files can be large).

    A BOM at the start (Windows editors) is dropped; bad bytes name file and line."""
    path = Path(path)
    with open_binary(path, error=error) as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise _decode_error(path, raw, exc, error, lineno) from None
            yield lineno, text


def loads_json_line(
    text: str, *, file: str | Path, line: int | None, error: type[MedfrError] = DataError
) -> Any:
    """``json.loads`` of one JSON value; syntax errors and absurd nesting name file and line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"not valid JSON: {exc.msg}", file=file, line=line) from None
    except RecursionError:
        raise error("not valid JSON: nested too deeply", file=file, line=line) from None


def read_yaml(path: str | Path, *, error: type[MedfrError] = DataError) -> Any:
    """``yaml.safe_load`` of a file; a missing file or a syntax error raises ``error`` naming file and line.

    ``error`` is the caller's member of the MedfrError family (``RecipeError`` for
    recipes), so the message says which kind of input was bad."""
    path = Path(path)
    text = read_text_utf8(path, error=error)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error(
            f"not valid YAML ({getattr(exc, 'problem', None) or exc})",
            file=path,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    except RecursionError:
        raise error("not valid YAML: nested too deeply", file=path) from None


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks: data cards, manifests and the demo's
    markers record the files they used this way, whatever their size."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def check_output_folder(
    out: Path, names: tuple[str, ...], *, error: type[MedfrError] = DataError, field: str
) -> None:
    """A folder a command replaces whole may hold only the files that command writes there.

    Why: replacing ``--out mywork`` whole would delete the user's own files in it."""
    if not out.exists():
        return
    if not out.is_dir():
        raise error("output path exists and is not a folder", file=out, field=field)
    others = sorted(p.name for p in out.iterdir() if p.name not in names)
    if others:
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        raise error(
            f"output folder holds other files ({', '.join(others[:3])}{more}); it is replaced "
            "whole: choose a new or empty folder, or one this command wrote",
            file=out,
            field=field,
        )


@contextlib.contextmanager
def folder_lock(out: Path) -> Iterator[None]:
    """An exclusive lock beside ``out`` while it is swapped (POSIX; elsewhere none)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(out.parent / f".{out.name}.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def recover_swap(out: Path) -> None:
    """Put back the previous folder of a writer killed between the two renames of
    :func:`swap_in`, and remove what such a writer left aside.

    Call it holding :func:`folder_lock`: any ``.NAME.old-*`` folder then belongs to a
    dead writer (a live one holds the lock while it has one), so restoring or removing
    it is safe."""
    for old in sorted(out.parent.glob(f".{out.name}.old-*")):
        if not out.exists() and (old / out.name).is_dir():
            os.replace(old / out.name, out)
        shutil.rmtree(old, ignore_errors=True)


def swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` by the finished folder ``tmp`` in two renames: readers see the old
    folder or the new one, never a mix. On any failure between them (an OS error,
    SIGTERM as Ctrl-C) the old folder is put back; a kill -9 there leaves it aside for
    :func:`recover_swap`."""
    old = None
    if out.exists() or out.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, old / out.name)
    try:
        os.replace(tmp, out)
    except BaseException:
        if old is not None:
            os.replace(old / out.name, out)
        raise
    finally:
        if old is not None and out.exists():  # else recover_swap puts it back next time
            shutil.rmtree(old, ignore_errors=True)


def replace_folder(
    out: str | Path,
    names: tuple[str, ...],
    build: Callable[[Path], None],
    *,
    error: type[MedfrError] = DataError,
    field: str,
) -> Path:
    """Build a folder's files with ``build(tmp)`` in a temp folder beside ``out``, then swap it in.

    The output-folder rules: ``out`` is a new folder or one holding only
    ``names`` (:func:`check_output_folder`, checked again under a lock just
    before the swap); readers see the old folder or the new one, never a mix;
    the new folder gets the umask's permissions (``mkdtemp`` alone makes 0700);
    Ctrl-C, SIGTERM or an error leave the previous folder and no temp folder; a kill -9
    between the renames is repaired by the next writer (:func:`recover_swap`)."""
    out = Path(out)
    check_output_folder(out, names, error=error, field=field)
    tmp: Path | None = None
    try:
        with term_as_interrupt():
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
            os.chmod(tmp, 0o777 & ~current_umask())
            build(tmp)
            with folder_lock(out):
                recover_swap(out)
                check_output_folder(out, names, error=error, field=field)
                swap_in(tmp, out)
    except OSError as exc:
        raise error(f"cannot write: {exc.strerror or exc}", file=out, field=field) from None
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out
