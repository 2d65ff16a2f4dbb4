"""Places in the API's queue, shared by the clients of one key, first come first served.

A ``threading.Semaphore`` wakes an arbitrary waiter; under load that lets a
late request overtake earlier ones, which showed as a longer tail of waiting
times in benchmarks/studio_load.py. ``JobSlots`` serves waiters in the order
they asked, and a waiter can give up (``cancel``) without losing anyone
else's turn.

Taking a place returns a ``Hold`` that is given back by ``release(hold)``: a
place shared between processes (``inpaint.shared``) must be named to be given
back, and naming it here too lets both kinds stand behind one ``SlotPool``.
An ``owner`` (e.g. one visitor of the studio) may be capped at
``owner_limit`` places; a waiter whose owner is at its cap lets the waiters
behind it go first instead of blocking them.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

DEFAULT_QUEUE_LIMIT = 5  # the smallest plan's queue limit

_ids = itertools.count(1)


@dataclass(frozen=True)
class Hold:
    """One place taken; give it back with the pool's ``release``."""

    id: str
    owner: str | None = None


class SlotPool(Protocol):
    """What the submitter and the sweep need of job slots, in one process or shared."""

    @property
    def size(self) -> int: ...

    @property
    def free(self) -> int: ...

    def try_acquire(
        self, *, owner: str | None = None, owner_limit: int | None = None
    ) -> Hold | None: ...

    def acquire(
        self,
        cancel: Callable[[], bool] | None = None,
        poll: float = 0.2,
        *,
        owner: str | None = None,
        owner_limit: int | None = None,
    ) -> Hold | None: ...

    def release(self, hold: Hold) -> None: ...


class _Waiter:
    __slots__ = ("owner", "owner_limit")

    def __init__(self, owner: str | None, owner_limit: int | None) -> None:
        self.owner, self.owner_limit = owner, owner_limit


class JobSlots:
    """At most ``size`` holders at a time in this process; waiters are served in arrival order."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._held: dict[str, Hold] = {}
        self._owners: Counter[str] = Counter()
        self._waiting: deque[_Waiter] = deque()
        self._cond = threading.Condition()

    def _capped(self, owner: str | None, owner_limit: int | None) -> bool:
        return owner is not None and owner_limit is not None and self._owners[owner] >= owner_limit

    def _may_take(self, waiter: _Waiter | None, owner: str | None, limit: int | None) -> bool:
        """Free, not capped, and everyone ahead (all, for a newcomer) is held back by a cap."""
        if len(self._held) >= self.size or self._capped(owner, limit):
            return False
        for ahead in self._waiting:
            if ahead is waiter:
                return True
            if not self._capped(ahead.owner, ahead.owner_limit):
                return False
        return True

    def _take(self, owner: str | None) -> Hold:
        hold = Hold(f"local-{next(_ids)}", owner)
        self._held[hold.id] = hold
        if owner is not None:
            self._owners[owner] += 1
        return hold

    def try_acquire(
        self, *, owner: str | None = None, owner_limit: int | None = None
    ) -> Hold | None:
        """Take a place if one is free and nobody who could use it is waiting for it."""
        with self._cond:
            return self._take(owner) if self._may_take(None, owner, owner_limit) else None

    def acquire(
        self,
        cancel: Callable[[], bool] | None = None,
        poll: float = 0.2,
        *,
        owner: str | None = None,
        owner_limit: int | None = None,
    ) -> Hold | None:
        """Wait for a place in turn; None if ``cancel()`` said stop (asked every ``poll`` s)."""
        waiter = _Waiter(owner, owner_limit)
        with self._cond:
            self._waiting.append(waiter)
            try:
                while not self._may_take(waiter, owner, owner_limit):
                    if cancel is not None and cancel():
                        return None
                    self._cond.wait(poll)
                return self._take(owner)
            finally:
                self._waiting.remove(waiter)
                self._cond.notify_all()  # the next in line may now be first

    def release(self, hold: Hold) -> None:
        with self._cond:
            if self._held.pop(hold.id, None) is None:
                raise RuntimeError("released a place that was not taken (or twice)")
            if hold.owner is not None:
                self._owners[hold.owner] -= 1
                if self._owners[hold.owner] <= 0:
                    del self._owners[hold.owner]
            self._cond.notify_all()

    @property
    def free(self) -> int:
        with self._cond:
            return self.size - len(self._held)


class OwnedSlots:
    """A pool seen by one owner: every take is counted against ``owner``'s cap.

    The studio gives each visitor's client one of these over the key's pool,
    so the submitter, which knows nothing of visitors, still keeps the cap.
    """

    def __init__(self, pool: SlotPool, owner: str, owner_limit: int | None) -> None:
        self.pool, self.owner, self.owner_limit = pool, owner, owner_limit

    @property
    def size(self) -> int:
        return self.pool.size

    @property
    def free(self) -> int:
        return self.pool.free

    def try_acquire(
        self, *, owner: str | None = None, owner_limit: int | None = None
    ) -> Hold | None:
        return self.pool.try_acquire(
            owner=owner or self.owner,
            owner_limit=owner_limit if owner_limit is not None else self.owner_limit,
        )

    def acquire(
        self,
        cancel: Callable[[], bool] | None = None,
        poll: float = 0.2,
        *,
        owner: str | None = None,
        owner_limit: int | None = None,
    ) -> Hold | None:
        return self.pool.acquire(
            cancel,
            poll,
            owner=owner or self.owner,
            owner_limit=owner_limit if owner_limit is not None else self.owner_limit,
        )

    def release(self, hold: Hold) -> None:
        self.pool.release(hold)
