"""Running one blocking client call while the page keeps hearing from it.

The client's ``inpaint``/``fetch_result`` block until the result is in, but a
gradio event must keep reporting progress and, above all, say a job's id the
moment it exists: a job that was sent may be paid for, so its id must reach
the history before anything else can go wrong. ``JobRunner`` runs the call in
a worker thread and relays what it reports to the event's own thread (gradio's
progress and a generator's yields belong there). It knows nothing of gradio,
so it is tested with a fake call and a fake clock.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from ..errors import JobCancelledError
from ..progress import ProgressEvent
from ..result import InpaintResult

Clock = Callable[[], float]
# Seconds between yields while a call runs quietly. Gradio learns that the
# visitor left (a closed tab, a script's connection gone) only when the event's
# generator yields; it then closes it, and the caller raises the stop flag. So
# the event yields at least this often, and leaving stops paying within it.
HEARTBEAT = 0.5
# The blocking call: given a progress hook and a "should I stop?" hook.
JobCall = Callable[[Callable[[ProgressEvent], None], Callable[[], bool]], InpaintResult]


@dataclass
class Outcome:
    """How a call ended: its result or the exception it raised, and the job ids seen."""

    result: InpaintResult | None = None
    error: BaseException | None = None
    job_ids: list[Any] = field(default_factory=list)  # in the order sent
    elapsed: float = 0.0

    @property
    def job_id(self) -> Any:
        """The job to name when the call failed: the failure's own, else the first seen."""
        own = getattr(self.error, "job_id", None)
        if own is not None:
            return own
        return self.job_ids[0] if self.job_ids else None


class JobRunner:
    """Runs a ``JobCall`` in a worker, relaying progress and new job ids as they come."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock

    def run(
        self,
        call: JobCall,
        *,
        stop: threading.Event,
        on_progress: Callable[[ProgressEvent], None],
        started: float | None = None,
    ) -> Generator[Any, None, Outcome]:
        """Yield each new job id as it appears (None as a heartbeat); return the ``Outcome``.

        ``on_progress`` is called from the caller's thread for every progress
        event. A ``stop`` already set before the call starts (Cancel pressed
        while the request waited in gradio's queue) stops it before anything
        is sent. ``elapsed`` counts from ``started`` (default: now).
        """
        started = self.clock() if started is None else started
        events: queue.Queue[tuple[str, Any]] = queue.Queue()

        def worker() -> None:
            try:
                if stop.is_set():
                    raise JobCancelledError("Cancelled before the job was sent.")
                events.put(("result", call(lambda e: events.put(("progress", e)), stop.is_set)))
            except BaseException as exc:  # handed over to the caller's thread
                events.put(("error", exc))

        outcome = Outcome()
        threading.Thread(target=worker, name="inpaint-job", daemon=True).start()
        while True:
            try:
                kind, payload = events.get(timeout=HEARTBEAT)
            except queue.Empty:
                yield None  # a heartbeat: see HEARTBEAT
                continue
            if kind != "progress":
                break
            on_progress(payload)
            if payload.job_id is not None and payload.job_id not in outcome.job_ids:
                outcome.job_ids.append(payload.job_id)
                yield payload.job_id
        if kind == "result":
            outcome.result = payload
        else:
            outcome.error = payload
        outcome.elapsed = self.clock() - started
        return outcome
