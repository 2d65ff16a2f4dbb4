"""Places in the API's queue, shared by the clients of one key, first come first served.

A ``threading.Semaphore`` wakes an arbitrary waiter; under load that lets a
late request overtake earlier ones, which showed as a longer tail of waiting
times in benchmarks/studio_load.py. ``JobSlots`` serves waiters in the order
they asked, and a waiter can give up (``cancel``) without losing anyone
else's turn.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable


class JobSlots:
    """At most ``size`` holders at a time; waiters are served in arrival order."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._free = size
        self._waiting: deque[object] = deque()
        self._cond = threading.Condition()

    def try_acquire(self) -> bool:
        """Take a place if one is free and nobody is waiting for it."""
        with self._cond:
            if self._free > 0 and not self._waiting:
                self._free -= 1
                return True
            return False

    def acquire(self, cancel: Callable[[], bool] | None = None, poll: float = 0.2) -> bool:
        """Wait for a place in turn; False if ``cancel()`` said stop (asked every ``poll`` s)."""
        ticket = object()
        with self._cond:
            self._waiting.append(ticket)
            try:
                while not (self._free > 0 and self._waiting[0] is ticket):
                    if cancel is not None and cancel():
                        return False
                    self._cond.wait(poll)
                self._free -= 1
                return True
            finally:
                self._waiting.remove(ticket)
                self._cond.notify_all()  # the next in line may now be first

    def release(self) -> None:
        with self._cond:
            if self._free >= self.size:
                raise RuntimeError("released more places than were taken")
            self._free += 1
            self._cond.notify_all()

    @property
    def free(self) -> int:
        with self._cond:
            return self._free
