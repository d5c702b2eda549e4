"""One fetch at a time per output folder, and the temp folder a fetch converts into.

Two fetches into one folder (two users, or two lm-eval jobs filling the same
cache) would each move their files in and write a manifest that lists only
their own sets. A lock file beside the folder (``.<name>.fetch.lock``) is held
for the whole fetch with ``fcntl.lockf`` (POSIX locks: they work on local disks
and on NFS with its lock daemon); the second fetch waits, says so, and then
sees the first one's files. The lock file is removed at the end; a waiter that
wakes up on a removed file takes the lock on the new one. A fetch killed with
``kill -9`` releases its lock with its process (the kernel does it).

Temp folders are named ``.<name>.fetch-*`` beside the output, created with the
permissions any new folder gets under the umask (``mkdtemp`` alone makes 0700
folders, and the output folder is the temp folder renamed). Each holds a marker
naming its output, host and process, so a later fetch into the same folder,
holding the lock, removes the temp folders that dead fetches left behind.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from medfr_eval.core.errors import DataError
from medfr_eval.core.fileio import current_umask

MARKER = ".medfr-fetch-temp"


class FetchLock:
    """Exclusive lock on one output folder for the time of a ``with`` block."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = out.parent / f".{out.name}.fetch.lock"
        self.fd: int | None = None

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666 & ~current_umask())
        except OSError as exc:
            raise DataError(
                f"cannot create the lock file: {exc.strerror}", file=self.path
            ) from None

    def __enter__(self) -> FetchLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock, as the README says
            return self
        said = False
        while True:
            fd = self._open()
            try:
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if not said:
                        print(
                            f"medfr: waiting for another fetch into {self.out} to finish",
                            file=sys.stderr,
                        )
                        said = True
                    fcntl.lockf(fd, fcntl.LOCK_EX)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                    print(
                        f"medfr: warning: {self.out.parent} cannot be locked ({exc.strerror}); "
                        "do not run two fetches into this folder at once",
                        file=sys.stderr,
                    )
                    return self
                raise DataError(f"cannot lock: {exc.strerror}", file=self.path) from None
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                return self
            os.close(fd)  # the holder removed the file as it finished: lock the new one

    def __exit__(self, *exc) -> None:
        if self.fd is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self.fd)
        self.fd = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_stale_temps(out: Path) -> list[Path]:
    """Remove the temp folders of dead fetches into ``out`` (call while holding its lock)."""
    removed = []
    host = socket.gethostname()
    target = str(out.resolve())
    for path in out.parent.glob(f".{out.name}.fetch-*"):
        marker = path / MARKER
        try:
            info = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not a temp folder of ours (no marker): never touched
        if not isinstance(info, dict) or info.get("out") != target:
            continue
        if info.get("host") == host and isinstance(info.get("pid"), int) and _alive(info["pid"]):
            continue
        if info.get("host") != host:
            continue  # another machine's fetch: it cleans up after itself
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def make_temp(out: Path) -> Path:
    """A new temp folder beside ``out``, with the umask's permissions and a marker."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.fetch-", dir=out.parent))
    os.chmod(tmp, 0o777 & ~current_umask())
    info = {"out": str(out.resolve()), "host": socket.gethostname(), "pid": os.getpid()}
    (tmp / MARKER).write_text(json.dumps(info), encoding="utf-8")
    return tmp
