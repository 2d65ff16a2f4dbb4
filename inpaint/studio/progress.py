"""Progress wording and per-session cancelling."""

from __future__ import annotations

import threading

from ..progress import ProgressEvent, describe, overall_fraction


# -- progress and cancelling ----------------------------------------------------
def progress_text(event: ProgressEvent) -> tuple[float, str]:
    """(bar fraction, plain description) for one client progress event.

    Where a stage sits on the bar and how a queued job's countdown reads are
    the library's (``inpaint.progress``), shared with the command line's bar.
    """
    return overall_fraction(event), describe(event)


class CancelBoard:
    """Per-session "stop" flags, shared between the Generate and Cancel events.

    The flag is keyed by the page's session hash, so one visitor's Cancel never
    stops another's wait. It exists from the moment Generate is pressed
    (``arm``), so a Cancel while the request still waits in gradio's queue
    stops it before anything is sent. A running job itself cannot be
    cancelled (the API has no such call): the client stops waiting and the
    job id is kept.
    """

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def arm(self, session: str) -> threading.Event:
        """A new flag for a request that is about to be queued."""
        with self._lock:
            event = threading.Event()
            self._events[session] = event
            return event

    def begin(self, session: str, *, fresh: bool = False) -> threading.Event:
        """The flag for a request that starts now: the armed one unless ``fresh``."""
        with self._lock:
            event = None if fresh else self._events.get(session)
            if event is None:
                event = threading.Event()
                self._events[session] = event
            return event

    def end(self, session: str, event: threading.Event) -> None:
        """The request is over, however it ended: its flag is raised, then dropped.

        Raised, not only dropped: when the visitor left (a closed tab, a script's
        connection gone), gradio closes the event's generator and this is the
        only word its worker thread gets, so it must send no further job.
        After a normal finish the worker is done and the flag changes nothing.
        """
        event.set()
        with self._lock:
            if self._events.get(session) is event:
                del self._events[session]

    def cancel(self, session: str) -> bool:
        with self._lock:
            event = self._events.get(session)
        if event is None:
            return False
        event.set()
        return True
