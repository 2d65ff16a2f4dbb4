"""What a running edit reports, and where each stage sits on a progress bar.

The command line's bar and the studio's progress both read ``STAGES``, so the
two never disagree about how far along a job is. A callback that raises is
logged and ignored (``notifier``): a broken display must not lose a paid job.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

log = logging.getLogger("inpaint.progress")


@dataclass(frozen=True)
class ProgressEvent:
    """One report. ``eta`` is seconds still expected; ``fraction`` is within the stage."""

    stage: str
    message: str
    eta: float | None = None
    job_id: int | str | None = None
    fraction: float | None = None
    # (this job's number from 1, the number of jobs) when one edit is a chain of
    # jobs (an extension's tiles): the bar then spans the whole chain.
    part: tuple[int, int] | None = None


ProgressCallback = Callable[[ProgressEvent], None]
CancelHook = Callable[[], bool]

# (start, end) of each stage on a 0..1 bar, in the order an edit goes through
# them. The queued stage is the long one; its own fraction (from the API's
# eta) moves the bar across its span.
STAGES: dict[str, tuple[float, float]] = {
    "preparing": (0.0, 0.05),
    "region": (0.05, 0.08),
    "uploading": (0.08, 0.15),
    "submitting": (0.15, 0.2),
    "queued": (0.2, 0.9),
    "downloading": (0.9, 0.98),
    "done": (1.0, 1.0),
}


def overall_fraction(event: ProgressEvent) -> float:
    """The event's place on the whole bar, 0..1 (across the chain for a ``part``)."""
    low, high = STAGES.get(event.stage, (0.0, 1.0))
    if event.fraction is None:
        share = low
    else:
        share = min(1.0, max(0.0, low + (high - low) * max(0.0, min(1.0, event.fraction))))
    if event.part is None:
        return share
    number, total = event.part
    return min(1.0, max(0.0, (number - 1 + share) / max(1, total)))


def describe(event: ProgressEvent) -> str:
    """The event in words; a queued job says how long it should still take."""
    prefix = f"Job {event.part[0]} of {event.part[1]}: " if event.part else ""
    if event.stage != "queued":
        return prefix + event.message
    if event.eta is not None and event.eta >= 1:
        return f"{prefix}{event.message} · about {math.ceil(event.eta)} s left"
    return f"{prefix}{event.message} · finishing…"


class ChainProgress:
    """``progress`` for a chain of ``total`` jobs of which several may run at once.

    A display shows one job: the first one not yet finished (the "lead"). The
    others' events are kept, not shown, until they lead; a job that finished
    early then says so in its turn. So the display reads as a sequential
    chain would: "Job k of N: <stage>" with k never going back,
    one bar that only moves forward, every job's end said once, in order
    ("finished, the next one follows"), and "Done" only when all of them are.
    Events arrive from several threads. One job, or no display: ``progress``
    itself.

    A job id is never held back: a job that was sent may be paid for, and the
    studio's history and the command line's report learn ids from events. So a
    job that is not shown says its new id at once, on the shown job's event
    (its stage and place unchanged, its ``job_id`` the new one).
    """

    def __init__(self, progress: ProgressCallback | None, total: int) -> None:
        self.progress, self.total = progress, total
        self._latest: dict[int, ProgressEvent] = {}
        self._finished: set[int] = set()
        self._ids: set[int | str] = set()
        self._lead = 1
        self._lock = threading.Lock()

    def job(self, number: int) -> ProgressCallback | None:
        """The callback for job ``number`` (from 1)."""
        if self.progress is None or self.total <= 1:
            return self.progress
        return lambda event: self._seen(number, event)

    def _seen(self, number: int, event: ProgressEvent) -> None:
        with self._lock:
            self._latest[number] = event
            if event.stage == "done":
                self._finished.add(number)
            new_id = event.job_id is not None and event.job_id not in self._ids
            if event.job_id is not None:
                self._ids.add(event.job_id)
            if number != self._lead:
                if new_id:
                    shown = self._latest.get(self._lead, ProgressEvent("preparing", "Preparing"))
                    self._show(self._lead, replace(shown, job_id=event.job_id))
                return
            self._show(number, event)
            while self._lead in self._finished and self._lead < self.total:
                self._lead += 1  # the next job leads: say where it is (or that it ended)
                if self._lead in self._latest:
                    self._show(self._lead, self._latest[self._lead])

    def _show(self, number: int, event: ProgressEvent) -> None:
        assert self.progress is not None
        if event.stage == "done" and number < self.total:
            event = replace(event, message="finished, the next one follows")
        self.progress(replace(event, part=(number, self.total)))


def notifier(progress: ProgressCallback | None) -> Callable[..., None]:
    """``notify(stage, message, **fields)``: builds events, serialised, failures logged.

    Cancelling (``JobCancelledError``) and Ctrl-C raised from the callback
    pass through; anything else a display raises is logged, not propagated.
    """
    from .errors import JobCancelledError

    lock = threading.Lock()

    def notify(stage: str, message: str, **fields: Any) -> None:
        if progress is None:
            return
        with lock:
            try:
                progress(ProgressEvent(stage, message, **fields))
            except (JobCancelledError, KeyboardInterrupt):
                raise
            except Exception:  # a broken UI callback must not lose a paid job
                log.exception("progress callback failed")

    return notify
