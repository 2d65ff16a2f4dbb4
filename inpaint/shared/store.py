"""What every backend (memory, SQLite, Redis) does atomically, and nothing more.

The ledger and the leased slots are written once on top of these few
operations; each backend makes each operation atomic in its own way (a lock,
``BEGIN IMMEDIATE``, a Lua script), so the rules live in one place and the
backends stay small enough to read side by side.

Lease times are taken from the store's clock (this machine's for memory and
SQLite, the Redis server's for Redis), so replicas with skewed clocks still
agree on when a lease ran out. Counter expiry uses the ledger's clock, which
tests inject.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from ..errors import ModelsLabError

Taken = Literal["ok", "full", "owner"]


class SharedStateError(ModelsLabError):
    """The shared state could not be opened or reached."""


class Store(Protocol):
    def reserve(
        self, keys: Sequence[str], limits: Sequence[int], n: int, expires: float, now: float
    ) -> list[int] | None:
        """Add ``n`` to every counter if each stays within its limit: None.

        Otherwise add nothing and return the counters' values. ``expires``
        (epoch seconds) is when the counters may be forgotten; rows older
        than ``now`` may be dropped on the way.
        """
        ...

    def refund(self, keys: Sequence[str], n: int) -> None:
        """Take ``n`` back from every counter (never below zero)."""
        ...

    def counts(self, keys: Sequence[str]) -> list[int]: ...

    def take(
        self,
        pool: str,
        size: int,
        hold_id: str,
        owner: str | None,
        owner_limit: int | None,
        lease: float,
    ) -> Taken:
        """Drop expired leases of ``pool``, then add ``hold_id`` for ``lease`` s if it fits.

        "full": ``size`` leases are live; "owner": ``owner`` holds ``owner_limit``.
        """
        ...

    def renew(self, pool: str, hold_ids: Sequence[str], lease: float) -> None:
        """Push the live leases among ``hold_ids`` ``lease`` s into the future."""
        ...

    def drop(self, pool: str, hold_id: str) -> bool:
        """Remove a lease; False if it was not there (already expired or dropped)."""
        ...

    def held(self, pool: str) -> int:
        """How many leases of ``pool`` are live."""
        ...

    def put(self, key: str, value: str, ttl: float) -> None:
        """Keep ``value`` under ``key`` for ``ttl`` seconds (who sent a job, for instance)."""
        ...

    def get(self, key: str) -> str | None:
        """The live value under ``key``, or None."""
        ...

    def close(self) -> None: ...
