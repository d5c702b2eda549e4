"""The site folder's writer: a whole new site or the previous one, never half of each.

A build writes into a fresh temporary folder beside the output and swaps it in at
the end. What can go wrong around that, and what this module does:

* **Two builds into one output** take turns: an exclusive ``flock`` on
  ``.<name>.lock`` beside the output is held from the temporary folder's creation to
  the swap (the second build says it waits). Without it, two swaps could interleave
  their renames and one of them fail half-way.
* **SIGTERM** (a scheduler's ``kill``) is turned into ``KeyboardInterrupt`` for the
  whole write (:func:`medfr_eval.core.fileio.term_as_interrupt`), so the temporary folder
  is removed as on Ctrl-C.
* **kill -9** cannot be caught: its temporary folder stays. The next build, holding
  the lock (so no other build is writing), removes such leftovers
  (``.<name>.tmp-*``, ``.<name>.old-*``) before it starts.
* **A full disk** (or any OS error) while writing is one ``DataError`` naming the
  output; the previous site is untouched.
* **The swap** exchanges the two folders in one ``renameat2(RENAME_EXCHANGE)`` call
  on Linux, so a web server reading the output never finds it missing; elsewhere (or
  on a file system without it) two renames, with the lock held.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from medfr_eval.cli import command_path
from medfr_eval.core.errors import DataError
from medfr_eval.core.fileio import swap_in, term_as_interrupt

MARKER = ".medfr-board"  # marks a folder this tool wrote, so rebuilding may replace it
_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def check_replaceable(out: Path) -> None:
    """Refuse an output that is a file, or a non-empty folder this tool did not write."""
    if not out.exists():
        return
    if not out.is_dir():
        raise DataError("output exists and is not a folder", file=out)
    if any(out.iterdir()) and not (out / MARKER).exists():
        raise DataError(
            f"output folder is not empty and was not written by {command_path('board', 'build')} "
            f"(no {MARKER}); refusing to replace it",
            file=out,
        )


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``out`` exclusively (POSIX; elsewhere no lock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(out.parent / f".{out.name}.lock", "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another build writing {out} to finish", file=sys.stderr)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _remove_leftovers(out: Path) -> None:
    """Temporary folders of builds that were killed (only called with the lock held)."""
    prefixes = (f".{out.name}.tmp-", f".{out.name}.old-")  # not a glob: names may hold "["
    for path in out.parent.iterdir():
        if path.name.startswith(prefixes) and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one system call; False where the OS or file system cannot.

    Own code: Python's ``os`` module has no binding for ``renameat2``."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    args = (_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if renameat2(*args) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # not supported here
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(tmp: Path, out: Path) -> None:
    """Put ``tmp`` at ``out``; the previous site, if any, ends up at ``tmp`` (removed later)."""
    if not out.exists() or not _exchange(tmp, out):
        swap_in(tmp, out)


@contextlib.contextmanager
def site_folder(out: Path) -> Iterator[Path]:
    """An empty folder to write the site into; swapped in whole at ``out`` on success.

    On any failure (error, Ctrl-C, SIGTERM) the temporary folder is removed and ``out``
    is as it was. OS errors (full disk, no permission) become one ``DataError``."""
    out = Path(out).resolve()
    check_replaceable(out)
    tmp: Path | None = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with term_as_interrupt(), _locked(out):
            _remove_leftovers(out)
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
            try:
                yield tmp
                (tmp / MARKER).write_text(
                    "medfr-leaderboard output; safe to delete\n", encoding="utf-8"
                )
                os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; a static host must read it
                check_replaceable(out)  # again: it may have changed while we rendered
                _swap_in(tmp, out)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)  # the new site's temp, or the old site
    except OSError as exc:
        raise DataError(f"cannot write the site: {exc.strerror or exc}", file=out) from None
