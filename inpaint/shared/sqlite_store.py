"""The shared state in an SQLite file: survives restarts, shared by processes on one machine.

Every operation is one ``BEGIN IMMEDIATE`` transaction: SQLite takes the
database's write lock at the start, so a check and the update that depends on
it can never interleave with another process's (a plain ``BEGIN`` would only
take the lock at the first write, after the check). WAL lets readers carry on
meanwhile; ``synchronous=NORMAL`` keeps each commit cheap and loses nothing
when a process crashes (only a power cut may lose the last commits, which for
job counts means a few jobs not counted). The file must be on a local disk:
SQLite's locks are not reliable over network file systems.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .store import SharedStateError, Taken

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS counters_expires ON counters (expires);
CREATE TABLE IF NOT EXISTS leases (
    pool TEXT NOT NULL, id TEXT NOT NULL, owner TEXT, expires REAL NOT NULL,
    PRIMARY KEY (pool, id));
CREATE TABLE IF NOT EXISTS records (
    key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL);
"""


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # One connection per store, used under a lock: autocommit mode
            # (isolation_level=None) so the transactions below are the only ones.
            self._db = sqlite3.connect(
                str(path), timeout=30, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self._tx() as db:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise SharedStateError(
                f"The shared state file {path} could not be opened ({exc})."
            ) from None
        self._lock = threading.Lock()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._lock, self._tx() as db:
                yield db
        except sqlite3.Error as exc:
            raise SharedStateError(
                f"The shared state file {self.path} could not be updated ({exc})."
            ) from None

    def reserve(
        self, keys: Sequence[str], limits: Sequence[int], n: int, expires: float, now: float
    ) -> list[int] | None:
        with self._locked() as db:
            db.execute("DELETE FROM counters WHERE expires < ?", (now,))
            values = [_value(db, k) for k in keys]
            if any(v + n > limit for v, limit in zip(values, limits, strict=True)):
                return values
            db.executemany(
                "INSERT INTO counters (key, value, expires) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = value + excluded.value, "
                "expires = excluded.expires",
                [(k, n, expires) for k in keys],
            )
            return None

    def refund(self, keys: Sequence[str], n: int) -> None:
        with self._locked() as db:
            db.executemany(
                "UPDATE counters SET value = MAX(0, value - ?) WHERE key = ?",
                [(n, k) for k in keys],
            )

    def counts(self, keys: Sequence[str]) -> list[int]:
        with self._lock:
            return [_value(self._db, k) for k in keys]

    def take(
        self,
        pool: str,
        size: int,
        hold_id: str,
        owner: str | None,
        owner_limit: int | None,
        lease: float,
    ) -> Taken:
        with self._locked() as db:
            now = time.time()
            db.execute("DELETE FROM leases WHERE pool = ? AND expires <= ?", (pool, now))
            (live,) = db.execute("SELECT COUNT(*) FROM leases WHERE pool = ?", (pool,)).fetchone()
            if live >= size:
                return "full"
            if owner is not None and owner_limit is not None:
                (mine,) = db.execute(
                    "SELECT COUNT(*) FROM leases WHERE pool = ? AND owner = ?", (pool, owner)
                ).fetchone()
                if mine >= owner_limit:
                    return "owner"
            db.execute(
                "INSERT INTO leases (pool, id, owner, expires) VALUES (?, ?, ?, ?)",
                (pool, hold_id, owner, now + lease),
            )
            return "ok"

    def renew(self, pool: str, hold_ids: Sequence[str], lease: float) -> None:
        with self._locked() as db:
            until = time.time() + lease
            db.executemany(
                "UPDATE leases SET expires = ? WHERE pool = ? AND id = ?",
                [(until, pool, h) for h in hold_ids],
            )

    def drop(self, pool: str, hold_id: str) -> bool:
        with self._locked() as db:
            gone = db.execute("DELETE FROM leases WHERE pool = ? AND id = ?", (pool, hold_id))
            return gone.rowcount > 0

    def held(self, pool: str) -> int:
        with self._lock:
            (live,) = self._db.execute(
                "SELECT COUNT(*) FROM leases WHERE pool = ? AND expires > ?", (pool, time.time())
            ).fetchone()
            return int(live)

    def put(self, key: str, value: str, ttl: float) -> None:
        with self._locked() as db:
            now = time.time()
            db.execute("DELETE FROM records WHERE expires <= ?", (now,))
            db.execute(
                "INSERT INTO records (key, value, expires) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                "expires = excluded.expires",
                (key, value, now + ttl),
            )

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM records WHERE key = ? AND expires > ?", (key, time.time())
            ).fetchone()
            return None if row is None else str(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _value(db: sqlite3.Connection, key: str) -> int:
    row = db.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()
    return int(row[0]) if row else 0
