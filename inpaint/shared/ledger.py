"""Quotas and budgets: jobs reserved whole before anything is sent, counted once sent.

A batch (an outpaint of six tiles, a comparison of nine cells) must either fit
every allowance it touches (the visitor's quota and the Space's daily budget)
or be refused before anything is sent, and jobs that were reserved but never
submitted must be handed back. Maintained limiters were checked first:
``limits`` (memory, Redis, Memcached, MongoDB; no SQLite) and
``pyrate-limiter`` (memory, SQLite, Redis, Postgres) both count hits against
one key at a time with a cost, but neither checks several keys in one atomic
step (a visitor's quota and the global budget), and neither can give back
hits that were never used, so a refused or failed-before-submit request would
still cost. Their windows are rolling or leaky, so neither can say "resets
at 00:00 UTC" either. The ledger below is that one missing step, on the
stores' atomic ``reserve`` / ``refund``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from .quota import Claim, QuotaExceeded
from .store import Store

Clock = Callable[[], datetime]
KEEP = timedelta(days=1)  # counters outlive their window by this much (for late refunds)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Reservation:
    """Jobs set aside by ``Ledger.reserve``: ``spend`` them as they are submitted.

    ``close()`` (or leaving the ``with`` block) gives back whatever was not
    spent, so a request refused or failed before it was sent costs nothing;
    a job that was sent stays counted whatever became of it.
    """

    def __init__(self, store: Store, keys: list[str], reserved: int) -> None:
        self._store, self._keys = store, keys
        self.reserved, self.spent = reserved, 0
        self.closed = False

    @property
    def unspent(self) -> int:
        return self.reserved - self.spent

    def spend(self, k: int = 1) -> None:
        if self.closed:
            raise RuntimeError("this reservation is closed")
        if k < 0 or self.spent + k > self.reserved:
            raise ValueError(
                f"cannot spend {k} more job(s): {self.unspent} of {self.reserved} are left"
            )
        self.spent += k

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.unspent and self._keys:
            self._store.refund(self._keys, self.unspent)

    def __enter__(self) -> Reservation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Ledger:
    """Counters in fixed windows (UTC days, clock hours), in any ``Store``.

    ``clock`` returns an aware datetime; tests pass their own to move time.
    """

    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self._store, self.clock = store, clock

    def _keys(self, claims: Sequence[Claim], now: datetime) -> list[str]:
        return [f"{c.counter}|{c.window.value}|{c.window.bucket(now)}" for c in claims]

    def reserve(self, claims: Sequence[Claim], n: int) -> Reservation:
        """Set aside ``n`` jobs on every claim, or on none (``QuotaExceeded``)."""
        if n < 0:
            raise ValueError("n must not be negative")
        now = self.clock()
        keys = self._keys(claims, now)
        if not claims or n == 0:
            return Reservation(self._store, keys, 0)
        expires = max(c.window.resets_at(now) for c in claims) + KEEP
        values = self._store.reserve(
            keys, [c.limit for c in claims], n, expires.timestamp(), now.timestamp()
        )
        if values is None:
            return Reservation(self._store, keys, n)
        for claim, value in zip(claims, values, strict=True):
            if value + n > claim.limit:
                left = max(0, claim.limit - value)
                raise QuotaExceeded(claim, n, left, claim.window.resets_at(now), now)
        raise AssertionError("the store refused a reservation that fits")  # pragma: no cover

    def remaining(self, claims: Sequence[Claim]) -> list[int]:
        """What each claim still allows in its current window."""
        now = self.clock()
        values = self._store.counts(self._keys(claims, now))
        return [max(0, c.limit - v) for c, v in zip(claims, values, strict=True)]

    def used(self, claims: Sequence[Claim]) -> list[int]:
        """What each claim has counted in its current window."""
        return self._store.counts(self._keys(claims, self.clock()))
