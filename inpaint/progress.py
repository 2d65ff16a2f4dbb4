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
from dataclasses import dataclass
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
    """The event's place on the whole bar, 0..1."""
    low, high = STAGES.get(event.stage, (0.0, 1.0))
    if event.fraction is None:
        return low
    return min(1.0, max(0.0, low + (high - low) * max(0.0, min(1.0, event.fraction))))


def describe(event: ProgressEvent) -> str:
    """The event in words; a queued job says how long it should still take."""
    if event.stage != "queued":
        return event.message
    if event.eta is not None and event.eta >= 1:
        return f"{event.message} · about {math.ceil(event.eta)} s left"
    return f"{event.message} · finishing…"


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
