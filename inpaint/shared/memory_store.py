"""The shared state kept in this process's memory: the default for one process.

It behaves exactly as the other stores (same leases, same windows), so code
written against it keeps working when pointed at SQLite or Redis.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from .store import Taken


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, tuple[int, float]] = {}
        self._leases: dict[str, dict[str, tuple[str | None, float]]] = {}
        self._records: dict[str, tuple[str, float]] = {}

    def put(self, key: str, value: str, ttl: float) -> None:
        with self._lock:
            now = time.time()
            for gone in [k for k, (_, until) in self._records.items() if until <= now]:
                del self._records[gone]
            self._records[key] = (value, now + ttl)

    def get(self, key: str) -> str | None:
        with self._lock:
            found = self._records.get(key)
            return found[0] if found and found[1] > time.time() else None

    def reserve(
        self, keys: Sequence[str], limits: Sequence[int], n: int, expires: float, now: float
    ) -> list[int] | None:
        with self._lock:
            for key in [k for k, (_, until) in self._counters.items() if until < now]:
                del self._counters[key]
            values = [self._counters.get(k, (0, 0.0))[0] for k in keys]
            if any(v + n > limit for v, limit in zip(values, limits, strict=True)):
                return values
            for key, value in zip(keys, values, strict=True):
                self._counters[key] = (value + n, expires)
            return None

    def refund(self, keys: Sequence[str], n: int) -> None:
        with self._lock:
            for key in keys:
                if key in self._counters:
                    value, until = self._counters[key]
                    self._counters[key] = (max(0, value - n), until)

    def counts(self, keys: Sequence[str]) -> list[int]:
        with self._lock:
            return [self._counters.get(k, (0, 0.0))[0] for k in keys]

    def _live(self, pool: str) -> dict[str, tuple[str | None, float]]:
        now = time.time()
        leases = self._leases.setdefault(pool, {})
        for hold_id in [h for h, (_, until) in leases.items() if until <= now]:
            del leases[hold_id]
        return leases

    def take(
        self,
        pool: str,
        size: int,
        hold_id: str,
        owner: str | None,
        owner_limit: int | None,
        lease: float,
    ) -> Taken:
        with self._lock:
            leases = self._live(pool)
            if len(leases) >= size:
                return "full"
            if owner is not None and owner_limit is not None:
                if sum(1 for o, _ in leases.values() if o == owner) >= owner_limit:
                    return "owner"
            leases[hold_id] = (owner, time.time() + lease)
            return "ok"

    def renew(self, pool: str, hold_ids: Sequence[str], lease: float) -> None:
        with self._lock:
            leases = self._leases.get(pool, {})
            for hold_id in hold_ids:
                if hold_id in leases:
                    leases[hold_id] = (leases[hold_id][0], time.time() + lease)

    def drop(self, pool: str, hold_id: str) -> bool:
        with self._lock:
            return self._leases.get(pool, {}).pop(hold_id, None) is not None

    def held(self, pool: str) -> int:
        with self._lock:
            return len(self._live(pool))

    def close(self) -> None:
        pass
