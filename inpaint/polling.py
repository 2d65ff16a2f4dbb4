"""When to poll ``fetch/{id}`` for a queued job: soon after it ends, without hammering.

The API's ``eta`` is whole seconds, rounded up, so an accurate eta says the
job ends within the second before it. The schedule therefore:

1. polls first 0.6 s *before* the eta (a job that ends in that second is
   caught at most 0.5 s late);
2. polls every 0.5 s until 0.5 s after the eta (two or three calls);
3. then, the eta having proved too short, polls every 7 % of the time waited
   so far (at least 0.5 s, at most 15 s): a job that takes twice its eta is
   collected within about 7 % of its length, in about a dozen calls, and a
   job that runs for many minutes is asked about every 15 s at most.

Without an eta the first poll is at 2 s and later ones follow rule 3 with at
least 1 s between them. Fetch answers' own etas are not trusted for timing (the
API documents none on fetch); the wait's ``max_wait`` still bounds the total.
Measured in benchmarks/lateness.py.
"""

from __future__ import annotations

from dataclasses import dataclass

EARLY = 0.6
GRACE = 0.5
MIN_INTERVAL = 0.5
GROWTH = 0.07
MAX_INTERVAL = 15.0
NO_ETA_FIRST = 2.0
NO_ETA_MIN_INTERVAL = 1.0


@dataclass(frozen=True)
class PollSchedule:
    """Delays between fetch calls, counted from when the ``processing`` answer arrived."""

    eta: float | None

    def first_delay(self) -> float:
        if self.eta is None:
            return NO_ETA_FIRST
        return max(MIN_INTERVAL, self.eta - EARLY)

    def next_delay(self, elapsed: float) -> float:
        """The pause after a poll made ``elapsed`` seconds into the wait."""
        if self.eta is not None and elapsed < self.eta + GRACE:
            return MIN_INTERVAL
        floor = MIN_INTERVAL if self.eta is not None else NO_ETA_MIN_INTERVAL
        return min(MAX_INTERVAL, max(floor, GROWTH * elapsed))
