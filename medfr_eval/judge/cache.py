"""Verdicts on disk, so that no known (judge, template, question, answer, reference) is asked twice.

sqlite (standard library) rather than a JSONL append log: two lm-eval
processes judging at once (two models evaluated side by side) share the file
safely through sqlite's own locking, and a lookup is an index hit rather than
a scan. WAL mode with ``synchronous=NORMAL`` keeps a write well under a
millisecond. Only the judge's raw text is stored; parsing happens on read, so
a fix to the parser applies to old verdicts too. Transport failures are never
stored.

A file that is not a verdict store (a folder, another sqlite file, another
``verdicts`` table) is refused in one line when opened. A write that fails
(disk full, the file locked past the timeout) is logged once and the run goes
on without caching: the verdicts themselves are kept in the results, and what
the store already holds stays whole (sqlite's journal).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from medfr_eval.core.errors import DataError

log = logging.getLogger("medfr.judge")
FIELD = "MEDFR_JUDGE_CACHE"
COLUMNS = ("key", "model", "endpoint", "template_sha256", "raw", "created")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS verdicts (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    template_sha256 TEXT NOT NULL,
    raw TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def verdict_key(identity: dict[str, str], question: str, answer: str, reference: str) -> str:
    """SHA-256 over the judge identity and the judged triple (unambiguous JSON encoding)."""
    payload = json.dumps(
        [
            identity["model"],
            identity["endpoint"],
            identity["template_sha256"],
            question,
            answer,
            reference,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _io_error(exc: sqlite3.Error) -> bool:
    """A failure of the disk or the lock (full, read-only, busy), not of the file's content."""
    return isinstance(exc, sqlite3.OperationalError) and "not a database" not in str(exc)


class VerdictCache:
    """A verdict store at ``path``; use from one thread (the judge's coordinating thread)."""

    def __init__(self, path: str | Path, timeout: float = 60.0) -> None:
        self.path = Path(path).expanduser()
        self.writable = True
        if self.path.is_dir():
            raise DataError(
                "is a folder; name the verdict file (e.g. judge_verdicts.sqlite3) or off",
                file=self.path,
                field=FIELD,
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise DataError(
                f"cannot open the verdict cache: {exc}", file=self.path, field=FIELD
            ) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            columns = tuple(row[1] for row in self._db.execute("PRAGMA table_info(verdicts)"))
        except sqlite3.DatabaseError as exc:
            self._db.close()
            what = (
                "cannot open the verdict cache" if _io_error(exc) else "not a medfr verdict cache"
            )
            raise DataError(
                f"{what} ({exc}); point {FIELD} at another file or off",
                file=self.path,
                field=FIELD,
            ) from None
        if columns != COLUMNS:
            self._db.close()
            raise DataError(
                f"its 'verdicts' table has other columns ({', '.join(columns)}); not a medfr "
                f"verdict cache: point {FIELD} at another file or off",
                file=self.path,
                field=FIELD,
            )

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        """Raw verdicts already known, by key (chunks stay under sqlite's variable limit)."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, raw FROM verdicts WHERE key IN ({marks})"
            try:
                found.update(self._db.execute(query, chunk).fetchall())
            except sqlite3.Error as exc:
                raise DataError(
                    f"cannot read the verdict cache ({exc}); point {FIELD} at another file or off",
                    file=self.path,
                    field=FIELD,
                ) from None
        return found

    def put(self, key: str, identity: dict[str, str], raw: str) -> bool:
        """Store one raw verdict; a concurrent writer of the same key wins silently (same judge,
        same text). False when the store cannot be written (said once, then skipped)."""
        if not self.writable:
            return False
        try:
            self._db.execute(
                "INSERT OR IGNORE INTO verdicts VALUES (?, ?, ?, ?, ?, ?)",
                (
                    key,
                    identity["model"],
                    identity["endpoint"],
                    identity["template_sha256"],
                    raw,
                    time.time(),
                ),
            )
        except sqlite3.Error as exc:  # disk full, read-only, locked past the timeout
            self.writable = False
            log.warning(
                "%s: verdict cache not written (%s); this run's verdicts are in its results "
                "only, and a rerun asks the judge for them again",
                self.path,
                exc,
            )
            return False
        return True

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> VerdictCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
