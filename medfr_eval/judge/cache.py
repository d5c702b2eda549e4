"""Verdicts on disk, so that no known (judge, template, question, answer, reference) is asked twice.

sqlite (standard library) rather than a JSONL append log: two lm-eval
processes judging at once (two models evaluated side by side) share the file
safely through sqlite's own locking, and a lookup is an index hit rather than
a scan. WAL mode with ``synchronous=NORMAL`` keeps a write well under a
millisecond. Only the judge's raw text is stored; parsing happens on read, so
a fix to the parser applies to old verdicts too. Transport failures are never
stored.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

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


class VerdictCache:
    """A verdict store at ``path``; use from one thread (the judge's coordinating thread)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        """Raw verdicts already known, by key (chunks stay under sqlite's variable limit)."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT key, raw FROM verdicts WHERE key IN ({marks})", chunk)
            found.update(rows.fetchall())
        return found

    def put(self, key: str, identity: dict[str, str], raw: str) -> None:
        """Store one raw verdict; a concurrent writer of the same key wins silently (same judge, same text)."""
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

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> VerdictCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
