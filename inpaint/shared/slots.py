"""Job slots shared by processes: leases in the store, renewed while held.

A slot is a lease with an expiry in the store. While this process holds any,
one background thread renews them every ``lease / 3`` s; a process that dies
(even by SIGKILL, which runs no clean-up) stops renewing, and its slots come
back to everyone within ``lease`` s, so a crashed replica never shrinks the
key's queue for ever.

Waiting across processes is by polling (every ``poll`` s, with the cancel hook
asked each time): fairness between processes is best effort. Within this
process waiters are served in arrival order as ``inpaint.slots.JobSlots``
does, a release here wakes the next one at once, and a waiter whose owner is
at its cap lets those behind it try instead of blocking them.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Callable

from ..slots import Hold
from .store import SharedStateError, Store


def key_id(api_key: str) -> str:
    """A name for an API key's slots that does not reveal the key (store contents are readable)."""
    digest = hashlib.sha256(b"inpaint-studio key:" + api_key.strip().encode()).hexdigest()
    return f"key-{digest[:20]}"


class _Waiter:
    __slots__ = ("owner", "owner_limit", "capped")

    def __init__(self, owner: str | None, owner_limit: int | None) -> None:
        self.owner, self.owner_limit = owner, owner_limit
        self.capped = False  # its last try failed on its owner's cap, not on size


class SharedSlots:
    """At most ``size`` holders of ``name`` at a time across every process on the store."""

    def __init__(self, store: Store, name: str, size: int, *, lease: float = 60.0) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        if lease <= 0:
            raise ValueError("lease must be positive")
        self.store, self.name, self.size, self.lease = store, name, size, lease
        self._prefix = f"{os.getpid()}-{uuid.uuid4().hex[:12]}-"
        self._count = 0
        self._held: dict[str, Hold] = {}
        self._waiting: list[_Waiter] = []
        self._cond = threading.Condition()
        self._renewer: threading.Thread | None = None

    # -- taking ------------------------------------------------------------------------
    def _first_in_line(self, waiter: _Waiter | None) -> bool:
        """Everyone ahead of ``waiter`` (all waiters, for a newcomer) is held back by a cap."""
        for ahead in self._waiting:
            if ahead is waiter:
                return True
            if not ahead.capped:
                return False
        return True

    def _try(self, owner: str | None, owner_limit: int | None) -> tuple[Hold | None, bool]:
        """One attempt at the store: (the hold, or None; whether the owner's cap stopped it)."""
        with self._cond:
            self._count += 1
            hold_id = f"{self._prefix}{self._count}"
        answer = self.store.take(self.name, self.size, hold_id, owner, owner_limit, self.lease)
        if answer != "ok":
            return None, answer == "owner"
        hold = Hold(hold_id, owner)
        with self._cond:
            self._held[hold_id] = hold
            self._start_renewing()
        return hold, False

    def try_acquire(
        self, *, owner: str | None = None, owner_limit: int | None = None
    ) -> Hold | None:
        """Take a slot if one is free and nobody in this process is waiting for one."""
        with self._cond:
            if not self._first_in_line(None):
                return None
        return self._try(owner, owner_limit)[0]

    def acquire(
        self,
        cancel: Callable[[], bool] | None = None,
        poll: float = 0.2,
        *,
        owner: str | None = None,
        owner_limit: int | None = None,
    ) -> Hold | None:
        """Wait for a slot; None if ``cancel()`` said stop (asked at least every ``poll`` s)."""
        waiter = _Waiter(owner, owner_limit)
        with self._cond:
            self._waiting.append(waiter)
        try:
            while True:
                with self._cond:
                    turn = self._first_in_line(waiter)
                if turn:
                    hold, waiter.capped = self._try(owner, owner_limit)
                    if hold is not None:
                        return hold
                    if waiter.capped:
                        with self._cond:
                            self._cond.notify_all()  # those behind may try meanwhile
                if cancel is not None and cancel():
                    return None
                with self._cond:
                    self._cond.wait(poll)
        finally:
            with self._cond:
                self._waiting.remove(waiter)
                self._cond.notify_all()

    def release(self, hold: Hold) -> None:
        with self._cond:
            if self._held.pop(hold.id, None) is None:
                raise RuntimeError("released a place that was not taken (or twice)")
        try:
            self.store.drop(self.name, hold.id)
        finally:
            with self._cond:
                self._cond.notify_all()

    @property
    def free(self) -> int:
        return max(0, self.size - self.store.held(self.name))

    @property
    def held_here(self) -> int:
        """Slots this object holds now (for tests and the studio's status line)."""
        with self._cond:
            return len(self._held)

    # -- keeping ----------------------------------------------------------------------
    def _start_renewing(self) -> None:
        """Called with the lock held: one renewing thread while anything is held."""
        if self._renewer is None or not self._renewer.is_alive():
            self._renewer = threading.Thread(
                target=self._renew, name=f"slots-lease-{self.name[:12]}", daemon=True
            )
            self._renewer.start()

    def _renew(self) -> None:
        stop = threading.Event()
        while not stop.wait(self.lease / 3):
            with self._cond:
                ids = list(self._held)
                if not ids:
                    self._renewer = None
                    return
            try:
                self.store.renew(self.name, ids, self.lease)
            except SharedStateError:  # the store is away: try again next round
                continue
