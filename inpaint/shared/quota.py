"""Quotas as people write them (``20/day``, ``5/hour``) and the sentence a refusal reads as.

Windows are fixed, not rolling: a day is a UTC calendar day and an hour a
clock hour (UTC), so a refusal can say exactly when the count starts again
("resets at 00:00 UTC") instead of "some time in the next 24 hours". The price
is the usual one of fixed windows: someone may spend a whole allowance just
before the reset and another just after it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..errors import ModelsLabError


class Window(enum.Enum):
    """The period a count covers; ``bucket`` names the current one, ``resets_at`` its end."""

    DAY = "day"
    HOUR = "hour"

    def start(self, now: datetime) -> datetime:
        now = now.astimezone(UTC)
        if self is Window.DAY:
            return now.replace(hour=0, minute=0, second=0, microsecond=0)
        return now.replace(minute=0, second=0, microsecond=0)

    def resets_at(self, now: datetime) -> datetime:
        return self.start(now) + (timedelta(days=1) if self is Window.DAY else timedelta(hours=1))

    def bucket(self, now: datetime) -> str:
        start = self.start(now)
        return start.strftime("%Y-%m-%d") if self is Window.DAY else start.strftime("%Y-%m-%dT%H")

    @property
    def this(self) -> str:
        return "today" if self is Window.DAY else "this hour"


@dataclass(frozen=True)
class Quota:
    limit: int
    period: Window

    def claim(self, counter: str) -> Claim:
        return Claim(counter, self.limit, self.period)

    def __str__(self) -> str:
        return f"{self.limit}/{self.period.value}"


@dataclass(frozen=True)
class Claim:
    """``counter`` may reach ``limit`` within each ``window``."""

    counter: str
    limit: int
    window: Window


_QUOTA = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(day|d|hour|h)\s*$", re.IGNORECASE)
_PERIODS = {"day": Window.DAY, "d": Window.DAY, "hour": Window.HOUR, "h": Window.HOUR}


class QuotaSyntaxError(ModelsLabError, ValueError):
    """A quota's text could not be read."""


def parse_quota(text: str, *, source: str = "The quota") -> Quota:
    """``"20/day"`` -> ``Quota(20, Window.DAY)``; ``source`` names the setting in the sentence."""
    found = _QUOTA.match(text or "")
    if not found:
        raise QuotaSyntaxError(
            f"{source} must be a whole number of jobs per day or per hour, "
            f"like 20/day or 5/hour, not {text!r}."
        )
    return Quota(int(found.group(1)), _PERIODS[found.group(2).lower()])


def _jobs(n: int) -> str:
    return f"{n} job" if n == 1 else f"{n} jobs"


def _until(delta: timedelta) -> str:
    minutes = max(1, -(-int(delta.total_seconds()) // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


class QuotaExceeded(ModelsLabError):
    """A reservation did not fit: nothing was counted.

    ``counter`` is the claim without room, ``needed`` what was asked,
    ``left`` what that counter still allows in its window, ``resets_at``
    (UTC) when the window ends, ``now`` the ledger's time of the refusal.
    """

    def __init__(
        self,
        claim: Claim,
        needed: int,
        left: int,
        resets_at: datetime,
        now: datetime,
    ) -> None:
        self.claim, self.needed, self.left = claim, needed, left
        self.resets_at, self.now = resets_at, now
        super().__init__(self.sentence())

    @property
    def counter(self) -> str:
        return self.claim.counter

    @property
    def limit(self) -> int:
        return self.claim.limit

    def sentence(self, label: str = "you") -> str:
        """E.g. "This needs 6 jobs; you have 4 left today; the count resets at 00:00 UTC
        (in 3 h 12 min)." ``label`` is who the allowance belongs to ("you", "this Space's
        daily budget")."""
        has = "have" if label.lower() in ("you", "we", "they") else "has"
        left = str(self.left) if self.left else "none"
        return (
            f"This needs {_jobs(self.needed)}; {label} {has} {left} left "
            f"{self.claim.window.this}; the count resets at "
            f"{self.resets_at.astimezone(UTC):%H:%M} UTC (in {_until(self.resets_at - self.now)})."
        )
